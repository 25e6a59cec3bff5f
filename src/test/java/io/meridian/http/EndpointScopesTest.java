package io.meridian.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class EndpointScopesTest {

  private static String concrete(EndpointScopes.Endpoint endpoint) {
    return endpoint.path().replaceAll("\\{[A-Za-z]+\\}", "x-1");
  }

  @Test
  void everyEndpointIsFoundByItsOwnMethodAndPath() {
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL) {
      var match = EndpointScopes.match(endpoint.method(), concrete(endpoint));
      assertEquals(new EndpointScopes.Found(endpoint), match, endpoint.toString());
    }
  }

  @Test
  void noRequestMatchesTwoEndpoints() {
    for (EndpointScopes.Endpoint endpoint : EndpointScopes.ALL) {
      String[] segments = concrete(endpoint).split("/", -1);
      long matching =
          EndpointScopes.ALL.stream()
              .filter(e -> e.method().equals(endpoint.method()) && e.matchesPath(segments))
              .count();
      assertEquals(1, matching, endpoint.toString());
    }
  }

  @Test
  void aKnownPathWithAnotherMethodIsAWrongMethodWithTheMethodsThereAre() {
    assertEquals(
        new EndpointScopes.WrongMethod(List.of("PUT", "DELETE")),
        EndpointScopes.match("GET", "/v1/users/u-1/devices/d-1"));
    assertEquals(
        new EndpointScopes.WrongMethod(List.of("GET")),
        EndpointScopes.match("POST", "/v1/regions"));
  }

  @Test
  void anythingElseIsUnknown() {
    for (String path :
        List.of(
            "/v1",
            "/v1/",
            "/v1/users/",
            "/v1/regions/",
            "/v1//regions",
            "/v1/users//profile",
            "/v1/users/u-1/profile/extra",
            "/v1/admin/regions/us/sideways",
            "/v2/regions"))
      assertInstanceOf(EndpointScopes.Unknown.class, EndpointScopes.match("GET", path), path);
  }

  /**
   * docs/api.md's table "Scopes" lists exactly the endpoints of {@link EndpointScopes#ALL}, each
   * with its scope, so the contract and the code cannot drift apart.
   */
  @Test
  void theApiDocListsEveryEndpointWithItsScope() throws Exception {
    String doc = Files.readString(Path.of("docs/api.md"));
    int start = doc.indexOf("## Authentication");
    assertTrue(start >= 0, "docs/api.md has a section Authentication");
    int end = doc.indexOf("\n## ", start + 1);
    String section = doc.substring(start, end < 0 ? doc.length() : end);
    Matcher row =
        Pattern.compile("^\\| `([A-Z]+) (/v1/[^`]*)` \\| `([a-z]+)` \\|", Pattern.MULTILINE)
            .matcher(section);
    Set<String> documented = new LinkedHashSet<>();
    while (row.find()) documented.add(row.group(1) + " " + row.group(2) + " " + row.group(3));
    Set<String> table = new LinkedHashSet<>();
    for (EndpointScopes.Endpoint e : EndpointScopes.ALL)
      table.add(e.method() + " " + e.path() + " " + e.scope().configName());
    assertEquals(table, documented);
  }
}
