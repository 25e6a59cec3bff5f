package io.meridian.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps every request a test sends through {@link ThreeRegions#send} with its answer, so that the
 * answers can be checked against the API contract (docs/openapi.yaml): one JSON line per exchange
 * in {@code target/contract-recordings/<name>.jsonl} (ContractRecordingsIT reads them after the
 * other integration tests), and in memory for the test that made them. The bearer token is not
 * written, only that one was sent.
 */
public final class ContractRecorder {
  private ContractRecorder() {}

  /** One request and its answer, as the contract validator reads them. */
  public record Exchange(
      String method,
      String path,
      Map<String, List<String>> requestHeaders,
      String requestBody,
      int status,
      Map<String, List<String>> responseHeaders,
      String responseBody) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, List<Exchange>> BY_NAME = new LinkedHashMap<>();

  /** Where the recordings go: {@code target/contract-recordings} of the project. */
  public static Path directory() {
    return Path.of(System.getProperty("meridian.project.dir", "."))
        .resolve("target")
        .resolve("contract-recordings");
  }

  /** Starts {@code name}'s recording afresh (a file left by an earlier run is replaced). */
  public static synchronized void start(String name) {
    BY_NAME.put(name, new ArrayList<>());
    try {
      Files.createDirectories(directory());
      Files.deleteIfExists(file(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static synchronized void record(
      String name, HttpRequest request, String requestBody, HttpResponse<String> response) {
    Map<String, List<String>> requestHeaders = new LinkedHashMap<>();
    request
        .headers()
        .map()
        .forEach(
            (header, values) ->
                requestHeaders.put(
                    header,
                    header.equalsIgnoreCase("Authorization")
                        ? values.stream().map(ContractRecorder::redacted).toList()
                        : values));
    String path = request.uri().getRawPath();
    if (request.uri().getRawQuery() != null) path += "?" + request.uri().getRawQuery();
    var exchange =
        new Exchange(
            request.method(),
            path,
            requestHeaders,
            requestBody,
            response.statusCode(),
            response.headers().map(),
            response.body());
    BY_NAME.computeIfAbsent(name, n -> new ArrayList<>()).add(exchange);
    try {
      Files.createDirectories(directory());
      Files.write(
          file(name),
          (JSON.writeValueAsString(exchange) + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What {@code name} recorded in this JVM. */
  public static synchronized List<Exchange> exchanges(String name) {
    return List.copyOf(BY_NAME.getOrDefault(name, List.of()));
  }

  /** Every recording in {@link #directory()}, by file. */
  public static Map<String, List<Exchange>> readAll() throws IOException {
    Map<String, List<Exchange>> all = new LinkedHashMap<>();
    if (!Files.isDirectory(directory())) return all;
    try (var files = Files.list(directory())) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
        List<Exchange> exchanges = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8))
          if (!line.isBlank()) exchanges.add(JSON.readValue(line, Exchange.class));
        all.put(file.getFileName().toString(), exchanges);
      }
    }
    return all;
  }

  private static Path file(String name) {
    return directory().resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".jsonl");
  }

  /** The scheme, and whether a credential followed it; never the token. */
  private static String redacted(String authorization) {
    int space = authorization.indexOf(' ');
    return space < 0 ? authorization : authorization.substring(0, space) + " redacted";
  }
}
