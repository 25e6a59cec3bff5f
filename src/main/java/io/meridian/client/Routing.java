package io.meridian.client;

/** Where the first attempt of a call goes. */
public enum Routing {
  /**
   * The caller's home region: reads, CRDT writes (points, devices: every region accepts them),
   * region and admin calls.
   */
  HOME,
  /**
   * The user's owner region when an earlier answer named it ({@code X-Meridian-Owner}), else the
   * region the request names as the user's home, else the caller's home region: single-writer
   * writes (create, profile, move, payments). Any region would forward them; sending them to the
   * owner saves the hop.
   */
  OWNER
}
