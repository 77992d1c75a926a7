# syntax=docker/dockerfile:1
# Build stage: compile the release binary with the workspace's locked dependencies
# (.dockerignore keeps the context to the Rust workspace). The cache mounts keep the
# downloaded crates and compiled dependencies between builds.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p tasks-server \
    && cp target/release/tasks-api /tasks-api

# Runtime stage: the binary, its config files and CA roots; no shell tools, non-root.
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /tasks-api /app/tasks-api
COPY config /app/config
ENV APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
# The API, and Prometheus metrics on their own listener.
EXPOSE 8000 9100
# distroless "nonroot"
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/app/tasks-api", "healthcheck"]
ENTRYPOINT ["/app/tasks-api"]
CMD ["serve"]
