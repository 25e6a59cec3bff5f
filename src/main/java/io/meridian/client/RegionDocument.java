package io.meridian.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One region as a node sees it (docs/openapi.yaml, schema RegionInfo). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RegionDocument(
    String region, String status, String successor, long epoch, Long replicationLagMillis) {}
