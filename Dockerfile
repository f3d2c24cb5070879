# syntax=docker/dockerfile:1
# orgtrail's container image: one static binary (musl), the CA certificates it checks AWS's TLS
# certificates with, an empty working directory, and nothing else (no shell, no package manager).
# It runs as an unprivileged user (65532, the uid distroless images call "nonroot"), and its
# entrypoint is orgtrail, so a job's command is orgtrail's arguments:
#
#   docker build -t orgtrail:0.1.0 .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     -v "$PWD/reports:/work/reports" orgtrail:0.1.0 scan --out reports/2026-11
#
# examples/aws-batch/orgtrail-batch.yaml runs it on AWS Batch.

FROM docker.io/library/rust:1.95-bookworm AS build
# musl-gcc builds the C parts of the TLS stack (aws-lc-sys) for the static target.
RUN rustup target add x86_64-unknown-linux-musl \
    && apt-get update \
    && apt-get install -y --no-install-recommends musl-tools=1.2.3-1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
    && install -D -m 0755 target/x86_64-unknown-linux-musl/release/orgtrail /image/orgtrail \
    && install -d -m 0755 -o 65532 -g 65532 /image/work

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /image/orgtrail /orgtrail
COPY --from=build --chown=65532:65532 /image/work /work
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/orgtrail"]
CMD ["--help"]
