# newsstance in a container, for the Kubernetes recipe in deploy/kubernetes/ (and Slurm sites that
# run containers). Two stages: the build (cargo, the whole toolchain) and a slim runtime holding
# only the binary (lexicons and model weights are embedded in it).
#
#   docker build -t newsstance:latest .
#   docker run --rm -v "$PWD/data:/data" newsstance:latest score /data/input -o /data/reports

FROM rust:1.85-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin newsstance \
    && cp target/release/newsstance /usr/local/bin/newsstance

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/newsstance /usr/local/bin/newsstance
RUN useradd --system --uid 10001 --home-dir /data newsstance \
    && mkdir -p /data && chown newsstance /data
USER 10001
WORKDIR /data
ENTRYPOINT ["newsstance"]
CMD ["--help"]
