# Build a static gtmd binary, then ship it alone on a distroless base as a
# non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gtmd ./cmd/gtmd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gtmd /usr/local/bin/gtmd
USER nonroot:nonroot
WORKDIR /var/lib/gtmd
EXPOSE 5300/udp 5300/tcp 8300/tcp
ENTRYPOINT ["/usr/local/bin/gtmd"]
CMD ["serve", "--config", "/etc/gtmd/gtmd.yaml"]
