package io.meridian.tools.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's recorded history: every request, fault, region-status sample and process exit, appended
 * to history.jsonl as it happens (so an interrupted run still leaves its history) and kept in
 * memory for the checker. Thread-safe: the clients, the injector and the status watcher all record
 * here.
 */
public final class History implements AutoCloseable {

  /** Everything recorded, in the order it was recorded. */
  public record Snapshot(
      List<Operation> operations,
      List<FaultRecord> faults,
      List<StatusSample> statusSamples,
      List<ProcessExit> exits) {
    public Snapshot {
      operations = List.copyOf(operations);
      faults = List.copyOf(faults);
      statusSamples = List.copyOf(statusSamples);
      exits = List.copyOf(exits);
    }
  }

  private final ObjectMapper json;
  private final BufferedWriter out;
  private final List<Operation> operations = new ArrayList<>();
  private final List<FaultRecord> faults = new ArrayList<>();
  private final List<StatusSample> samples = new ArrayList<>();
  private final List<ProcessExit> exits = new ArrayList<>();
  private boolean closed;

  public History(Path file, ObjectMapper json) {
    this.json = json;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public void record(Operation operation) {
    synchronized (this) {
      operations.add(operation);
      write("op", operation);
    }
  }

  public void record(FaultRecord fault) {
    synchronized (this) {
      faults.add(fault);
      write("fault", fault);
    }
  }

  public void record(StatusSample sample) {
    synchronized (this) {
      samples.add(sample);
      write("status", sample);
    }
  }

  public void record(ProcessExit exit) {
    synchronized (this) {
      exits.add(exit);
      write("exit", exit);
    }
  }

  /** Reads a history.jsonl back (to check a run again with {@code --recheck}). */
  public static Snapshot read(Path file, ObjectMapper json) throws IOException {
    ObjectMapper reader =
        json.copy()
            .disable(
                com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    List<Operation> operations = new ArrayList<>();
    List<FaultRecord> faults = new ArrayList<>();
    List<StatusSample> samples = new ArrayList<>();
    List<ProcessExit> exits = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      var node = reader.readTree(line);
      switch (node.path("type").asText()) {
        case "op" -> operations.add(reader.treeToValue(node, Operation.class));
        case "fault" -> faults.add(reader.treeToValue(node, FaultRecord.class));
        case "status" -> samples.add(reader.treeToValue(node, StatusSample.class));
        case "exit" -> exits.add(reader.treeToValue(node, ProcessExit.class));
        default -> throw new IOException("unknown history line: " + line);
      }
    }
    return new Snapshot(operations, faults, samples, exits);
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(operations, faults, samples, exits);
  }

  private void write(String type, Record entry) {
    if (closed) return; // a late sample or exit after the run: kept in memory only
    ObjectNode line = json.createObjectNode().put("type", type);
    line.setAll((ObjectNode) json.valueToTree(entry));
    try {
      out.write(json.writeValueAsString(line));
      out.newLine();
      out.flush(); // a killed run keeps everything recorded so far
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the history", e);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
