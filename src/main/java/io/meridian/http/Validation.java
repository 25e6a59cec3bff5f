package io.meridian.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.topology.Regions;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The input rules of the API: ids, regions, fields and numbers; each failure is a 400 that names
 * the fix.
 */
final class Validation {
  private Validation() {}

  /**
   * Ids (users, devices, payments): 1–64 of letters, digits, '.', '_', ':', '-', starting with a
   * letter or digit.
   */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]{2,}");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}");
  static final long MAX_POINTS_DELTA = 1_000_000;
  static final BigDecimal MAX_AMOUNT = new BigDecimal("1000000000");

  static String id(String kind, String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw ApiError.badRequest(
          "invalid_id",
          kind + " must be 1-64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit");
    }
    return value;
  }

  /** A cohort's name (in a body or a path). */
  static String cohort(String value) {
    try {
      return io.meridian.cohort.CohortDirectory.validName(value);
    } catch (IllegalArgumentException invalid) {
      throw ApiError.badRequest("invalid_field", invalid.getMessage());
    }
  }

  static String region(Regions regions, String field, String value) {
    if (value == null || !regions.contains(value)) {
      throw ApiError.badRequest("invalid_region", field + " must be one of " + regions.names());
    }
    return value;
  }

  static void onlyFields(JsonNode body, Set<String> allowed) {
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name))
        throw ApiError.badRequest(
            "unknown_field", "unknown field '" + name + "'; allowed: " + allowed);
    }
  }

  static String requiredText(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull())
      throw ApiError.badRequest("missing_field", "field '" + field + "' is required");
    return text(node, field);
  }

  static String optionalText(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) return null;
    return text(node, field);
  }

  /**
   * A string field as valid Unicode. {@link Json#object} already refuses a body with an unpaired
   * surrogate; checked again here because every accepted string ends up in an event, and the CBOR
   * serializer of the journal cannot write one (AcceptedInputSerializesTest).
   */
  private static String text(JsonNode node, String field) {
    if (!node.isTextual())
      throw ApiError.badRequest("invalid_field", "field '" + field + "' must be a string");
    if (Json.hasUnpairedSurrogate(node.textValue()))
      throw ApiError.badRequest(
          "invalid_field", "field '" + field + "' must be valid Unicode (no unpaired surrogate)");
    return node.textValue();
  }

  static String profileField(String field, String value) {
    boolean ok =
        switch (field) {
          case "displayName" ->
              !value.isBlank()
                  && value.length() <= 100
                  && value.chars().noneMatch(Character::isISOControl)
                  && !Json.hasUnpairedSurrogate(value);
          case "email" ->
              value.length() <= 254
                  && EMAIL.matcher(value).matches()
                  && value.chars().noneMatch(Character::isISOControl)
                  && !Json.hasUnpairedSurrogate(value);
          case "locale" -> LOCALE.matcher(value).matches();
          default -> false;
        };
    if (!ok) {
      String rule =
          switch (field) {
            case "displayName" -> "1-100 printable characters";
            case "email" -> "an e-mail address like ada@example.org, without control characters";
            default -> "a language tag like en-GB";
          };
      throw ApiError.badRequest("invalid_field", "field '" + field + "' must be " + rule);
    }
    return value;
  }

  static long pointsDelta(JsonNode body) {
    JsonNode node = body.get("delta");
    if (node == null || node.isNull())
      throw ApiError.badRequest("missing_field", "field 'delta' is required");
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw ApiError.badRequest("invalid_field", "field 'delta' must be a whole number");
    }
    long delta = node.longValue();
    if (delta == 0 || Math.abs(delta) > MAX_POINTS_DELTA) {
      throw ApiError.badRequest(
          "out_of_range",
          "field 'delta' must be non-zero and between -"
              + MAX_POINTS_DELTA
              + " and "
              + MAX_POINTS_DELTA);
    }
    return delta;
  }

  /** Amounts are decimal strings ("12.50"): positive, at most 2 decimals, at most 1e9. */
  static BigDecimal amount(JsonNode body) {
    String text = requiredText(body, "amount");
    BigDecimal amount;
    try {
      amount = new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(
          "invalid_field", "field 'amount' must be a decimal string like \"12.50\"");
    }
    if (amount.signum() <= 0 || amount.scale() > 2 || amount.compareTo(MAX_AMOUNT) > 0) {
      throw ApiError.badRequest(
          "out_of_range",
          "field 'amount' must be positive, at most " + MAX_AMOUNT + ", with at most 2 decimals");
    }
    return amount.setScale(2);
  }

  /** An Idempotency-Key: 1-255 visible ASCII characters (a UUID, say). */
  static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[!-~]{1,255}");

  static String idempotencyKey(String value) {
    if (!IDEMPOTENCY_KEY.matcher(value).matches())
      throw ApiError.badRequest(
          "invalid_header", "Idempotency-Key must be 1-255 visible ASCII characters (a UUID, say)");
    return value;
  }

  /** {@code waitForVersion=<region>:<events>}: a read that waits for a write made in a region. */
  record VersionWait(String origin, long events) {}

  static VersionWait versionWait(Regions regions, String value) {
    int colon = value.lastIndexOf(':');
    long events = -1;
    if (colon > 0) {
      try {
        events = Long.parseLong(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        events = -1;
      }
    }
    if (events < 1 || !regions.contains(value.substring(0, colon))) {
      throw ApiError.badRequest(
          "invalid_parameter",
          "waitForVersion must be <region>:<events>, a region of "
              + regions.names()
              + " and a count of at least 1 (the answer's version[region] of a write)");
    }
    return new VersionWait(value.substring(0, colon), events);
  }
}
