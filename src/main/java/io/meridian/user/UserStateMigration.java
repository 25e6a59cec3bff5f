package io.meridian.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads a state written as {@code io.meridian.user.User$State} (before the state left {@code User},
 * issue 14) as a {@link UserState}: same fields, new class name. Registered in
 * conf/serialization.conf under the old name. Snapshots are off, so nothing should hold one; but a
 * snapshot store that kept one from an earlier build is read at recovery, and must not fail it.
 *
 * <p>A migration reads through Jackson's tree, which strips trailing zeros from decimals ({@code
 * JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES}, not configurable through Pekko): the money
 * fields get back the scale every amount is stored with (2), or a balance of 11.50 would come back
 * as 11.5 and compare unequal (UserGoldenBytesTest caught it).
 */
public final class UserStateMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return UserState.class.getName();
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    JsonNode wallet = json.get("wallet");
    if (wallet instanceof ObjectNode walletFields) {
      withMoneyScale(walletFields, "balance");
      JsonNode payments = walletFields.get("payments");
      if (payments != null)
        payments.forEach(payment -> withMoneyScale((ObjectNode) payment, "amount"));
    }
    return json;
  }

  private static void withMoneyScale(ObjectNode fields, String name) {
    JsonNode value = fields.get(name);
    if (value != null && value.isNumber())
      fields.set(name, DecimalNode.valueOf(value.decimalValue().setScale(2)));
  }
}
