# Dockerfile: the meshperf container image (issue #13), what the Kubernetes
# platform runs in every node's pod and in the load generator. It is built
# FROM scratch out of a context that scripts/image-rootfs.sh assembles from
# the binaries `make` built and the shared libraries they load, so building
# it needs no network and no base image:
#
#   make image                       # podman, else docker; IMAGE=... to name it
#
# which is, by hand:
#   scripts/image-rootfs.sh build build/image
#   podman build -t localhost/meshperf:latest -f Dockerfile build/image
#
# The context is build/image (rootfs/ and home/), not the repository.
# It runs as the non-root user meshperf (numeric, so that Kubernetes'
# runAsNonRoot can check it); the default command is `meshperf serve`
# (port 9080; the load generator adds -rest -port 8080).
FROM scratch
COPY rootfs/ /
COPY --chown=65532:65532 home/ /home/
USER 65532:65532
WORKDIR /home/meshperf
ENV HOME=/home/meshperf
# render runs `command: [meshperf]`: a FROM scratch image has no PATH of its own.
ENV PATH=/usr/local/bin
EXPOSE 9080 8080
ENTRYPOINT ["/usr/local/bin/meshperf"]
CMD ["serve"]
