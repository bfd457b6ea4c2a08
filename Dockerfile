# syntax=docker/dockerfile:1
# Build: docker build -t specgate --build-arg VERSION=$(git describe --tags --always) .
# Run the demo: docker run -p 8080:8080 specgate
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# Keep this command in sync with the build check in .ci/run.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/specgate ./cmd/specgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/specgate /specgate
USER nonroot:nonroot
EXPOSE 8080
# Inside a container, listen on all interfaces; set SPECGATE_PUBLIC_URL to the URL clients use.
ENV SPECGATE_LISTEN=0.0.0.0:8080
ENTRYPOINT ["/specgate"]
CMD ["serve"]
