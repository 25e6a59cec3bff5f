package io.meridian.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /console}: the operator console's static files (src/main/resources/console, in the jar),
 * served by every node without a token; the page asks for a token and sends it as a bearer header
 * on every {@code /v1} call it makes (docs/console.md). Nothing is loaded from elsewhere: the
 * Content-Security-Policy allows this origin only.
 */
final class ConsoleRoutes {
  private static final String DIRECTORY = "console";
  private static final String POLICY =
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
          + " connect-src 'self'; frame-ancestors 'none'";

  Route route() {
    return pathPrefix(
        "console",
        () ->
            get(
                () ->
                    respondWithHeaders(
                        java.util.List.of(
                            RawHeader.create("Content-Security-Policy", POLICY),
                            RawHeader.create("X-Content-Type-Options", "nosniff"),
                            RawHeader.create("Cache-Control", "no-cache")),
                        () ->
                            concat(
                                pathEnd(
                                    () ->
                                        redirect(
                                            org.apache.pekko.http.javadsl.model.Uri.create(
                                                "/console/"),
                                            StatusCodes.PERMANENT_REDIRECT)),
                                pathSingleSlash(() -> getFromResource(DIRECTORY + "/index.html")),
                                getFromResourceDirectory(DIRECTORY)))));
  }
}
