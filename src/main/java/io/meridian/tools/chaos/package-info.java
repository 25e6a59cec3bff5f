/**
 * {@code ./meridian chaos}: a seeded fault plan and a mixed workload against the three-region
 * system, a recorded history, and a checker over it (docs/testing.md).
 *
 * <p>Owns: the fault plan and its injection (kill, pause, admin down/up, move, partitions), the
 * workload's clients, the history, the checker and its report and timeline chart.
 *
 * <p>May use: {@code tools.demo} (it starts the system as the demo does, or attaches to a running
 * one), the product's HTTP API, and the switch of {@code io.meridian.faults} (product code, off
 * unless the tool turns it on) whose admin endpoints it calls over HTTP. Tools may use product
 * code; product code never uses tools.
 */
package io.meridian.tools.chaos;
