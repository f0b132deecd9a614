# blip2-serve images (docs/DEPLOYMENT.md).
#
#   docker build -t blip2-serve:0.1.0 .                        GPU image (default target "gpu"): ONNX Runtime's GPU
#                                                              build on CUDA 12 + cuDNN 9 (needs the NVIDIA container
#                                                              toolkit to see a GPU)
#   docker build --target cpu -t blip2-serve:0.1.0-cpu .       CPU image: the default ONNX Runtime build on a JRE 25
#
# Both run as a non-root user (uid 10001), work with a read-only root filesystem (they write only to /tmp, which
# must then be a tmpfs or an emptyDir, and to the model repository /models) and exec java directly, so SIGTERM
# reaches the JVM and the service drains gracefully (30 s for the web server + 30 s for the queues: allow 60 s or
# more before SIGKILL). The model repository is never baked in: mount it at /models. The bundled demo checkpoint
# (shapes-blip2) is inside the jar; on first start with an empty /models the service builds its fp32 and fp16
# variants there.
#
# Only classic Dockerfile instructions (no BuildKit-only flags), so the legacy builder and Testcontainers build it
# too; the CPU stages come first so that `--target cpu` never builds the GPU stages, even with the legacy builder.

# Base images pinned to a major version and an OS release; pin digests (@sha256:...) in a release pipeline.
ARG JDK_IMAGE=eclipse-temurin:25-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:25-jre-noble
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---------------------------------------------------------------- build (CPU)
FROM ${JDK_IMAGE} AS build-cpu
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
# Dependencies in their own layer, so a code change does not download them again.
RUN ./mvnw -B -q dependency:go-offline
# The calibration and eval sets the jar carries (the service quantizes and scores the bundled model with them).
COPY data/shapes-blip2 data/shapes-blip2
COPY src/main src/main
# -Dfuzz.skip: the pom's fuzz profile (a Surefire execution of its own) would otherwise run with the tests skipped.
RUN ./mvnw -B -q -Dmaven.test.skip=true -Dfuzz.skip=true package && cp target/blip2-serve.jar /blip2-serve.jar

# ---------------------------------------------------------------- CPU runtime
FROM ${JRE_IMAGE} AS cpu
ARG UID=10001
# DJL extracts the tokenizer's native library under DJL_CACHE_DIR, ONNX Runtime its libraries under java.io.tmpdir,
# Tomcat its work folder too: all under /tmp, the one writable place besides /models.
ENV BLIP2_REPOSITORY=/models \
    DJL_CACHE_DIR=/tmp/djl \
    HOME=/tmp \
    JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
# libjpeg-turbo, libwebp, libheif (exact and fast JPEG/WebP, HEIC/AVIF; without them: Java decoders and 415 for HEIC),
# the service's user, /app and /models.
COPY deploy/images/prepare-runtime.sh /usr/local/sbin/
RUN prepare-runtime.sh ${UID}
COPY --from=build-cpu /blip2-serve.jar /app/blip2-serve.jar
WORKDIR /app
VOLUME ["/models"]
USER ${UID}:${UID}
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=10m --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /actuator/health/readiness HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "--add-modules=jdk.incubator.vector", "-Djava.io.tmpdir=/tmp", "-jar", "/app/blip2-serve.jar"]
CMD ["serve"]

# ---------------------------------------------------------------- build (GPU: Maven profile gpu = onnxruntime_gpu)
FROM build-cpu AS build-gpu
RUN rm -rf target && ./mvnw -B -q -Pgpu -Dmaven.test.skip=true -Dfuzz.skip=true package && cp target/blip2-serve.jar /blip2-serve.jar

FROM ${JRE_IMAGE} AS jre

# ---------------------------------------------------------------- GPU runtime (the default target)
FROM ${CUDA_IMAGE} AS gpu
ARG UID=10001
ENV JAVA_HOME=/opt/java/openjdk
# BLIP2_ORT_CUDA: blip2.ort.cuda, ONNX Runtime's CUDA execution provider for every variant.
ENV PATH=${JAVA_HOME}/bin:${PATH} \
    LANG=C.UTF-8 \
    BLIP2_REPOSITORY=/models \
    BLIP2_ORT_CUDA=true \
    DJL_CACHE_DIR=/tmp/djl \
    HOME=/tmp \
    JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError" \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY --from=jre /opt/java/openjdk ${JAVA_HOME}
COPY deploy/images/prepare-runtime.sh /usr/local/sbin/
RUN prepare-runtime.sh ${UID} && java -version
COPY --from=build-gpu /blip2-serve.jar /app/blip2-serve.jar
WORKDIR /app
VOLUME ["/models"]
USER ${UID}:${UID}
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=10m --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /actuator/health/readiness HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "--add-modules=jdk.incubator.vector", "-Djava.io.tmpdir=/tmp", "-jar", "/app/blip2-serve.jar"]
CMD ["serve"]
