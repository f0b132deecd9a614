# syntax=docker/dockerfile:1
# First cut (issue #6 owns the full version: CUDA runtime base, GPU build, read-only root).
# CPU image: build with the Maven wrapper, run on a JRE 25. The model repository is a volume.
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:25-jre
RUN useradd --system --uid 10001 --home /app blip2
WORKDIR /app
COPY --from=build /src/target/blip2-serve.jar /app/blip2-serve.jar
VOLUME ["/models"]
ENV BLIP2_REPOSITORY=/models
USER 10001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/blip2-serve.jar", "serve"]
