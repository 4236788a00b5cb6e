# benji-mock as a container: a static binary on an empty image.
#
#   docker build -t benji-mock .
#   docker run --rm -p 4010:4010 benji-mock
#
# The consumer stage is the example partner service of compose.yaml
# (docker build --target consumer .). GO_IMAGE picks the builder; where no
# registry is reachable, build a local Go image and pass it
# (scripts/e2e-compose.sh shows how).
ARG GO_IMAGE=golang:1.26

FROM ${GO_IMAGE} AS build
ARG GOPROXY=https://proxy.golang.org,direct
ARG GOFLAGS=
# VERSION is what benji-mock --version prints and the consumer's User-Agent
# carries (docker build --build-arg VERSION=v1.2.0); the image has no .git
# for Go to read a revision from.
ARG VERSION=dev
ENV CGO_ENABLED=0 GOPROXY=${GOPROXY} GOFLAGS=${GOFLAGS}
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w -X github.com/benjiconnect/benji/internal/buildversion.linked=${VERSION}" \
    -o /out/ ./cmd/benji-mock ./examples/consumer

FROM scratch AS consumer
COPY --from=build /out/consumer /consumer
USER 65532:65532
ENTRYPOINT ["/consumer"]

FROM scratch AS benji-mock
ARG VERSION=dev
LABEL org.opencontainers.image.title="benji-mock" \
      org.opencontainers.image.description="Contract-validated fake of the Benji Connect token API" \
      org.opencontainers.image.source="https://github.com/benjiconnect/benji" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/benji-mock /benji-mock
USER 65532:65532
ENV BENJI_MOCK_ADDR=0.0.0.0:4010
EXPOSE 4010
HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=3 CMD ["/benji-mock", "healthcheck"]
ENTRYPOINT ["/benji-mock"]
