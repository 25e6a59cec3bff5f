package io.meridian.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answer to a request so malformed that Pekko HTTP's parser refuses it before any route sees it
 * (a broken request line, an unknown method, a header or URI over the limits, a body over {@code
 * pekko.http.server.parsing.max-content-length}): the API's JSON error shape instead of Pekko's
 * text/plain, always a 4xx ({@link ResponseMapper#malformedRequest}), and one line at debug instead
 * of Pekko's multi-line warning per request. Named by {@code
 * pekko.http.server.parsing.error-handler} in conf/http.conf; Pekko creates it by reflection with
 * no arguments (pekko-http 1.3.0, ServerSettingsImpl.scala line 79, HttpServerBluePrint.scala line
 * 580).
 */
public final class MalformedRequestHandler extends ParsingErrorHandler {
  private static final Logger log = LoggerFactory.getLogger(MalformedRequestHandler.class);

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter pekkoLog, ServerSettings settings) {
    log.debug("malformed request refused ({}): {}", status.intValue(), info.summary());
    return ResponseMapper.malformedRequest(status.intValue(), info.summary());
  }
}
