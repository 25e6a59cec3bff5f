package io.meridian.tools.chaos;

/**
 * A region process that exited (seen in the demo's output; one line with {@code "type":"exit"}).
 */
public record ProcessExit(long atMillis, String region, String detail) {}
