#!/usr/bin/env bash
# End-to-end check of the container image and compose.yaml with a real Docker
# engine: build, start, wait for health, check the consumer got a token over
# compose's service DNS, check answers from the host and the request
# inspector, run the image in proxy mode in front of the compose mock, check
# the image size, stop the mock and check it exited cleanly. Everything it creates is removed
# on exit, failure included; a dockerd it started is stopped again.
#
# Works as root on a fresh Debian machine (it installs docker.io and
# docker-compose) and where dockerd already runs. No registry is needed: the
# builder image is made locally from this machine's Go installation.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=benji-e2e
PORT=${BENJI_MOCK_PORT:-4010}
PROXY_PORT=${BENJI_E2E_PROXY_PORT:-4019}
PROXY_CONTAINER=benji-e2e-proxy
MOCK_IMAGE=benji-mock:local
CONSUMER_IMAGE=benji-consumer:local
BUILDER_IMAGE=benji-e2e-go:local
MAX_IMAGE_BYTES=$((20 * 1024 * 1024))
VERSION=$(git describe --always --dirty 2>/dev/null || echo e2e)
export DOCKER_BUILDKIT=0 # the machine has no buildx; the classic builder does all this needs
export BENJI_MOCK_PORT=$PORT

say() { printf '\n== %s\n' "$*"; }
checks=0
passed() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { printf 'e2e-compose: FAIL: %s\n' "$*" >&2; exit 1; }

compose() { docker-compose -p "$PROJECT" -f compose.yaml "$@"; }

started_dockerd=""
workdir=$(mktemp -d)
cleanup() {
  status=$?
  say "cleaning up"
  if command -v docker-compose >/dev/null && docker info >/dev/null 2>&1; then
    docker rm -f "$PROXY_CONTAINER" >/dev/null 2>&1 || true
    compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
    docker rmi -f "$MOCK_IMAGE" "$CONSUMER_IMAGE" >/dev/null 2>&1 || true
    # The build stages, which inherit the builder image's label, then the builder.
    docker image prune -f --filter "label=benji-e2e=1" >/dev/null 2>&1 || true
    docker rmi -f "$BUILDER_IMAGE" >/dev/null 2>&1 || true
  fi
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$workdir"
  if [ $status -eq 0 ]; then echo "e2e-compose: $checks passed, 0 failed"; else echo "e2e-compose: $checks passed, 1 failed"; fi
  exit $status
}
trap cleanup EXIT

say "docker engine"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  dockerd >"$workdir/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.3; done
  docker info >/dev/null 2>&1 || { tail -20 "$workdir/dockerd.log"; fail "dockerd did not start"; }
fi
docker version --format 'engine {{.Server.Version}}'

say "local builder image (busybox + this machine's Go)"
goroot=$(go env GOROOT)
rootfs="$workdir/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/usr/local" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for tool in sh ls cat mkdir rm cp mv env; do ln -s busybox "$rootfs/bin/$tool"; done
cp -a "$goroot" "$rootfs/usr/local/go"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/go/bin:/bin HOME=/root GOCACHE=/tmp/gocache GOPATH=/tmp/gopath' \
  --change 'LABEL benji-e2e=1' - "$BUILDER_IMAGE" >/dev/null

build() { # tag target
  docker build --network host --label benji-e2e=1 \
    --build-arg GO_IMAGE="$BUILDER_IMAGE" \
    --build-arg GOPROXY="$(go env GOPROXY)" \
    --build-arg GOFLAGS="$(go env GOFLAGS)" \
    --build-arg VERSION="$VERSION" \
    --target "$2" -t "$1" . >"$workdir/build.log" 2>&1 || { tail -30 "$workdir/build.log"; fail "docker build $1"; }
}
say "build $MOCK_IMAGE and $CONSUMER_IMAGE"
build "$MOCK_IMAGE" benji-mock
build "$CONSUMER_IMAGE" consumer

size=$(docker image inspect -f '{{.Size}}' "$MOCK_IMAGE")
echo "image size: $size bytes (limit $MAX_IMAGE_BYTES)"
[ "$size" -lt "$MAX_IMAGE_BYTES" ] || fail "image is $size bytes, over 20 MB"
passed "image under 20 MB"
[ "$(docker image inspect -f '{{.Config.User}}' "$MOCK_IMAGE")" = "65532:65532" ] || fail "image does not run as the non-root user"
passed "image runs as 65532"
got=$(docker run --rm "$MOCK_IMAGE" --version)
[ "$got" = "benji-mock $VERSION" ] || fail "--version printed '$got', want 'benji-mock $VERSION'"
passed "--version names the build argument: $got"

say "compose up"
compose up -d --no-build
mock=$(compose ps -q benji-mock)
for _ in $(seq 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$mock")" = healthy ] && break
  sleep 0.5
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "$mock")" = healthy ] || { compose logs benji-mock; fail "benji-mock is not healthy"; }
passed "benji-mock healthy"

say "the consumer got a token through compose's service DNS"
consumer=$(compose ps -q consumer)
for _ in $(seq 60); do
  [ "$(docker inspect -f '{{.State.Status}}' "$consumer")" = exited ] && break
  sleep 0.5
done
compose logs --no-color consumer
[ "$(docker inspect -f '{{.State.ExitCode}}' "$consumer")" = 0 ] || fail "the consumer exited $(docker inspect -f '{{.State.ExitCode}}' "$consumer")"
token=$(docker logs "$consumer" 2>/dev/null | sed -n 's/^token: //p')
[ -n "$token" ] || fail "the consumer printed no token"
curl -fsS "http://127.0.0.1:$PORT/__mock/tokens/$token" | grep -q '"display_name":"Reward Cookies"' \
  || fail "the mock has no journal entry for the consumer's token"
passed "token $token is in the mock's journal"

say "answers from the host"
url="http://127.0.0.1:$PORT/verify/token/create"
seed='{"mode":3,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}'
code=$(curl -sS -o "$workdir/ok.json" -w '%{http_code}' "$url" -H 'Authorization: Bearer t' -H 'Content-Type: application/json' -d "$seed")
[ "$code" = 200 ] && grep -q '"code":"ok"' "$workdir/ok.json" || fail "seed request: $code $(cat "$workdir/ok.json")"
passed "seed transfer request: 200 $(cat "$workdir/ok.json")"
code=$(curl -sS -o "$workdir/bad.json" -w '%{http_code}' "$url" -H 'Authorization: Bearer t' -H 'Content-Type: application/json' -d '{"mode":2,"display_name":"x"}')
[ "$code" = 400 ] && grep -q '"field":"/mode"' "$workdir/bad.json" || fail "bad request: $code $(cat "$workdir/bad.json")"
passed "bad request: 400 $(cat "$workdir/bad.json")"

say "the request inspector from the host"
curl -fsS -D "$workdir/page.head" -o "$workdir/page.html" "http://127.0.0.1:$PORT/__mock/" || fail "GET /__mock/"
grep -qi "^content-security-policy: default-src 'none'" "$workdir/page.head" || fail "the inspector page has no strict CSP: $(cat "$workdir/page.head")"
grep -q '<code>/mode</code>' "$workdir/page.html" || fail "the inspector page does not show the bad request's violation"
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/__mock/ui/inspector.js" || fail "the inspector's script is not served from the image"
passed "the inspector page: CSP, the violation beside its body, its script from the binary"

say "proxy mode: the image in front of the compose mock"
docker run -d --name "$PROXY_CONTAINER" --network "${PROJECT}_default" -p "127.0.0.1:$PROXY_PORT:4010" \
  -e BENJI_MOCK_UPSTREAM=http://benji-mock:4010 -e BENJI_MOCK_UPSTREAM_ALLOW_HTTP=true "$MOCK_IMAGE" >/dev/null
for _ in $(seq 60); do curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/healthz" 2>/dev/null && break; sleep 0.5; done
code=$(curl -sS -o "$workdir/proxied.json" -w '%{http_code}' "http://127.0.0.1:$PROXY_PORT/verify/token/create" \
  -H 'Authorization: Bearer proxied-partner-token' -H 'Content-Type: application/json' -d "$seed")
proxied=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$workdir/proxied.json")
[ "$code" = 200 ] && [ -n "$proxied" ] || { docker logs "$PROXY_CONTAINER"; fail "through the proxy: $code $(cat "$workdir/proxied.json")"; }
curl -fsS "http://127.0.0.1:$PORT/__mock/tokens/$proxied" | grep -q '"display_name":"Reward Cookies"' \
  || fail "the upstream mock did not issue the token the proxy passed on"
curl -fsS "http://127.0.0.1:$PROXY_PORT/__mock/drift" | grep -q '"answers":1,"departed":0' \
  || fail "the proxy's drift report: $(curl -sS "http://127.0.0.1:$PROXY_PORT/__mock/drift")"
docker logs "$PROXY_CONTAINER" 2>&1 | grep -q 'proxied-partner-token' && fail "the proxy logged the bearer token"
passed "proxy mode: the upstream's token passed on, no drift, no token in the log"
docker rm -f "$PROXY_CONTAINER" >/dev/null

say "graceful stop"
docker stop -t 10 "$mock" >/dev/null
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$mock")
docker logs "$mock" 2>&1 | tail -2
[ "$exit_code" = 0 ] || fail "benji-mock exited $exit_code on docker stop"
passed "benji-mock exited 0"
