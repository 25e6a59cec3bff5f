# syntax=docker/dockerfile:1
# Meridian node image: docker build -t registry.example.com/meridian/meridian:0.1.0 .
# Layout: /opt/meridian/meridian (the launcher), /opt/meridian/lib/*.jar (the application jar and
# its run-time dependencies), /opt/meridian/conf (conf/, also inside the application jar).
# Kubernetes runs it with JAVA_TOOL_OPTIONS=-Dconfig.resource=kubernetes.conf (k8s/base).

FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY conf ./conf
COPY src ./src
# The API contract: the build puts it on the class path, the node serves it at /v1/openapi.json.
COPY docs/openapi.yaml ./docs/openapi.yaml
# The cache mount keeps downloaded dependencies between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests package \
 && mvn -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib \
 && cp target/meridian-*.jar target/lib/

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 meridian \
 && useradd --system --uid 10001 --gid meridian --home-dir /opt/meridian --no-create-home \
      --shell /usr/sbin/nologin meridian
ENV MERIDIAN_HOME=/opt/meridian
WORKDIR /opt/meridian
# Owned by root and read-only for the process: the pod runs with a read-only root file system.
COPY --from=build /src/target/lib/ /opt/meridian/lib/
COPY --from=build /src/conf/ /opt/meridian/conf/
COPY --chmod=0755 meridian /opt/meridian/meridian
USER 10001:10001
# HTTP API, Pekko Management (/ready, /alive, cluster bootstrap), Artery remoting.
EXPOSE 8080 8558 2551
ENTRYPOINT ["/opt/meridian/meridian", "node"]
