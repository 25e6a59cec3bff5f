package io.meridian.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** A payment as the API answers it (docs/openapi.yaml, schema Payment). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PaymentDocument(
    String userId,
    String paymentId,
    String kind,
    String amount,
    String status,
    String acceptedBy,
    long acceptedInEpoch,
    List<String> confirmedBy) {}
