#!/usr/bin/env bash
# Builds the local base images that stand in for Docker Hub's on machines without it (our CI): the Dockerfile takes
# them through its build args, the compose test takes the Prometheus image through PROMETHEUS_IMAGE. Nothing comes
# from a registry: a Debian bookworm root filesystem by debootstrap from the Debian mirror, the Temurin 25 JDK of
# this machine copied in, a JRE made from it by jlink, Prometheus from Debian's package. See docs/DEPLOYMENT.md.
#
#   deploy/images/build-base-images.sh          builds the images that are missing (cached by tag), prints the tags
#
# Tags (BLIP2_BASE_PREFIX, default blip2-local): <prefix>/debian:bookworm, <prefix>/temurin:25-jdk,
# <prefix>/temurin:25-jre, <prefix>/prometheus:bookworm. Delete one (docker rmi) to rebuild it.
# Needs root (debootstrap), docker, debootstrap. DEBIAN_MIRROR overrides the mirror, TEMURIN_HOME the JDK.
set -euo pipefail

prefix="${BLIP2_BASE_PREFIX:-blip2-local}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
jdk_home="${TEMURIN_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
suite=bookworm

base="${prefix}/debian:${suite}"
jdk="${prefix}/temurin:25-jdk"
jre="${prefix}/temurin:25-jre"
prometheus="${prefix}/prometheus:${suite}"

work="$(mktemp -d /tmp/blip2-base-images.XXXXXX)"
trap 'rm -rf "${work}"' EXIT

have() { docker image inspect "$1" >/dev/null 2>&1; }

# Runs "$@" and prints how long it took (the times in docs/DEPLOYMENT.md come from these lines).
timed() {
  local what="$1" start=${SECONDS}
  shift
  "$@"
  echo "base-images: ${what} in $((SECONDS - start)) s"
}

# An image built from a Dockerfile on stdin and a context folder; host network for apt-get (the Debian mirror).
build() {
  local tag="$1" context="$2"
  docker build -q --network host -t "${tag}" -f - "${context}" >/dev/null
}

make_base() {
  local rootfs="${work}/rootfs"
  debootstrap --variant=minbase "${suite}" "${rootfs}" "${mirror}" >"${work}/debootstrap.log" 2>&1 || {
    tail -n 30 "${work}/debootstrap.log" >&2
    return 1
  }
  # As Debian's official images: no services started by package scripts, no recommends, no apt caches.
  printf '#!/bin/sh\nexit 101\n' >"${rootfs}/usr/sbin/policy-rc.d"
  chmod 755 "${rootfs}/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"${rootfs}/etc/apt/apt.conf.d/90blip2-no-recommends"
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "${mirror}" "${suite}" "${mirror}" "${suite}" >"${rootfs}/etc/apt/sources.list"
  rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/tmp/* "${rootfs}"/var/log/*.log
  tar --numeric-owner -C "${rootfs}" -c . | docker import \
      --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "${base}" >/dev/null
}

# The JDK where eclipse-temurin images have it (/opt/java/openjdk), with unzip for the Maven wrapper.
make_jdk() {
  mkdir -p "${work}/jdk"
  # -L: this JDK links lib/security/cacerts to the host's /etc/ssl/certs/java/cacerts; the image needs the file.
  cp -aL "${jdk_home}" "${work}/jdk/openjdk"
  build "${jdk}" "${work}/jdk" <<EOF
FROM ${base}
RUN apt-get update && apt-get install -y unzip && rm -rf /var/lib/apt/lists/*
COPY openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN java -version
EOF
}

# A JRE by jlink: the Java SE modules plus the jdk.* runtime modules a Temurin JRE has (no compiler, no tools), the
# Vector API among them (the service's SIMD image resize; the Dockerfile's ENTRYPOINT adds it). The list is a label of
# the image: a cached JRE built from another list is rebuilt.
jre_modules="java.se,jdk.unsupported,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.charsets,jdk.localedata,jdk.zipfs,jdk.management,jdk.management.agent,jdk.jfr,jdk.net,jdk.naming.dns,jdk.httpserver,jdk.security.auth,jdk.sctp,jdk.incubator.vector"
have_jre() {
  [[ "$(docker image inspect -f '{{ index .Config.Labels "blip2.jlink-modules" }}' "${jre}" 2>/dev/null)" == "${jre_modules}" ]]
}
make_jre() {
  mkdir -p "${work}/jre"
  "${jdk_home}/bin/jlink" --output "${work}/jre/openjdk" --strip-debug --no-man-pages --no-header-files \
      --add-modules "${jre_modules}"
  build "${jre}" "${work}/jre" <<EOF
FROM ${base}
LABEL blip2.jlink-modules="${jre_modules}"
COPY openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN java -version
EOF
}

# Debian's prometheus, laid out like prom/prometheus (entrypoint, /prometheus data folder, non-root).
make_prometheus() {
  mkdir -p "${work}/prometheus"
  build "${prometheus}" "${work}/prometheus" <<EOF
FROM ${base}
RUN apt-get update && apt-get install -y prometheus && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /prometheus && chown nobody:nogroup /prometheus && prometheus --version
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
}

have "${base}" || timed "debian ${suite} minbase (debootstrap + import)" make_base
have "${jdk}" || timed "temurin 25 jdk" make_jdk
have_jre || timed "temurin 25 jre (jlink)" make_jre
have "${prometheus}" || timed "prometheus (Debian package)" make_prometheus
for tag in "${base}" "${jdk}" "${jre}" "${prometheus}"; do
  echo "base-images: ${tag} $(docker image inspect -f '{{.Size}}' "${tag}") bytes"
done
