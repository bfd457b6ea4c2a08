# syntax=docker/dockerfile:1
# Build:  docker build -t specgate --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) .
# Run the demo:  docker run -p 8080:8080 specgate
#   then connect an MCP client to http://127.0.0.1:8080/mcp and log in as "demo" (the password is printed
#   in the log; -e SPECGATE_DEMO_PASSWORD=... chooses it).
# Serve your API:  docker run -p 8080:8080 -e SPECGATE_SPEC=https://api.example.com/openapi.json \
#   -e SPECGATE_PUBLIC_URL=https://mcp.example.com -e SPECGATE_OAUTH_SECRET=... -v $PWD/users.yaml:/users.yaml:ro \
#   -e SPECGATE_USERS_FILE=/users.yaml specgate
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 ... (cross-compiles on the build host).

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# .ci/run extracts the line starting with CGO_ENABLED=0 and runs it, so CI
# builds exactly what ships: keep that command on one line.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/specgate ./cmd/specgate

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/specgate /specgate
USER nonroot:nonroot
# 8080: MCP, OAuth and health endpoints; 9090: metrics when SPECGATE_METRICS_LISTEN=0.0.0.0:9090.
EXPOSE 8080 9090
# Inside a container, listen on all interfaces. The public URL defaults to
# http://127.0.0.1:8080, which is right for `docker run -p 8080:8080` on
# this machine; set SPECGATE_PUBLIC_URL to the URL clients use otherwise.
ENV SPECGATE_LISTEN=0.0.0.0:8080
# Health: GET /healthz (liveness) and /readyz (readiness). The image has no
# shell or curl, so probe from outside (Kubernetes httpGet probes).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["/specgate", "healthcheck"]
ENTRYPOINT ["/specgate"]
CMD ["serve"]
