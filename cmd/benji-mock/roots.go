package main

// The image is built FROM scratch, with no certificate authorities on
// disk: in proxy mode the mock must still verify an https upstream. The
// fallback bundle (Mozilla's roots, kept by the Go team) is used only
// where the system has none.
import _ "golang.org/x/crypto/x509roots/fallback"
