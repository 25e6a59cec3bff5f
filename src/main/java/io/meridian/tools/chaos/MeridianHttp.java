package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The HTTP API as the chaos clients use it: one request, one {@link Answer}, never an exception.
 */
public final class MeridianHttp {

  /**
   * One answer. {@code status} 0: no HTTP answer, with {@code error} naming the exception; {@code
   * refused}: the connection was refused, so the request reached no server.
   */
  public record Answer(
      int status, String body, JsonNode json, String error, String servedBy, boolean refused) {
    public boolean is2xx() {
      return status >= 200 && status < 300;
    }
  }

  private final HttpClient client;
  private final ObjectMapper json;
  private final Endpoints endpoints;
  private final Duration timeout;

  public MeridianHttp(Endpoints endpoints, ObjectMapper json, Duration timeout) {
    // One client per MeridianHttp: its connection pool is shared by the threads that use it.
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    this.json = json;
    this.endpoints = endpoints;
    this.timeout = timeout;
  }

  public Endpoints endpoints() {
    return endpoints;
  }

  public Answer send(String region, String method, String path, String body) {
    return send(region, method, path, body, false);
  }

  public Answer admin(String region, String path) {
    return send(region, "POST", path, null, true);
  }

  public Answer admin(String region, String path, String body) {
    return send(region, "POST", path, body, true);
  }

  private Answer send(String region, String method, String path, String body, boolean admin) {
    URI uri = endpoints.uri(region).resolve(path);
    var request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    request.header(
        "Authorization", "Bearer " + (admin ? endpoints.adminToken() : endpoints.apiToken()));
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode parsed = parse(response.body());
      String error =
          response.statusCode() >= 400 && parsed != null && parsed.hasNonNull("error")
              ? parsed.get("error").asText()
              : null;
      if (response.statusCode() >= 400 && error == null) error = "no_error_code";
      return new Answer(
          response.statusCode(),
          response.body(),
          parsed,
          error,
          response.headers().firstValue("X-Meridian-Served-By").orElse(null),
          false);
    } catch (ConnectException e) {
      return new Answer(0, "", null, "connection_refused", null, true);
    } catch (IOException e) {
      return new Answer(0, "", null, e.getClass().getSimpleName(), null, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, "", null, "interrupted", null, false);
    }
  }

  private JsonNode parse(String body) {
    if (body == null || body.isBlank()) return null;
    try {
      return json.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
