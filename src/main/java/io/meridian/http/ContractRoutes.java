package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/openapi.json} (scope read): the API contract, docs/openapi.yaml, as JSON. The
 * build copies the YAML onto the class path ({@link #RESOURCE}); it is read and converted once, at
 * start, so a broken contract stops the node instead of answering 500 later.
 */
final class ContractRoutes {
  static final String RESOURCE = "contract/openapi.yaml";

  private final byte[] json;

  ContractRoutes() {
    this.json = contractAsJson();
  }

  /** docs/openapi.yaml, from the class path, as JSON bytes. */
  static byte[] contractAsJson() {
    try (InputStream yaml = ContractRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (yaml == null)
        throw new IllegalStateException(RESOURCE + " is not on the class path (see pom.xml)");
      return new ObjectMapper()
          .writeValueAsBytes(new ObjectMapper(new YAMLFactory()).readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the API contract " + RESOURCE, e);
    }
  }

  Route route() {
    return path(
        "openapi.json",
        () ->
            get(
                () ->
                    complete(
                        HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, json))));
  }
}
