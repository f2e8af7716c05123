/// The OpenAPI 3.0 description of every HTTP endpoint, served at `/openapi.yaml` and printed by
/// `weir openapi`. `Tests/WeirHTTPTests` checks that its paths and methods are exactly the
/// routes the server registers; schemathesis checks the answers against its schemas.
public enum OpenAPIDocument {
    public static let yaml = #"""
openapi: 3.0.3
info:
  title: Weir
  version: "1"
  description: |
    Weir's HTTP API: ingest events, declare streams, submit and cancel jobs, query live rollups
    (also pushed as Server-Sent Events), see why a job has no output, the cluster's state and
    Prometheus metrics. Every error is `{"error": {"code", "message"}}` with a 4xx/5xx status.
servers:
  - url: /
paths:
  /:
    get:
      summary: The dashboard (HTML).
      operationId: dashboard
      responses:
        "200": {description: The dashboard page., content: {text/html: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /dashboard.js:
    get:
      summary: The dashboard's script.
      operationId: dashboardScript
      responses:
        "200": {description: JavaScript., content: {text/javascript: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /dashboard.css:
    get:
      summary: The dashboard's stylesheet.
      operationId: dashboardStyle
      responses:
        "200": {description: CSS., content: {text/css: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /openapi.yaml:
    get:
      summary: This document.
      operationId: openapi
      responses:
        "200": {description: OpenAPI 3.0 YAML., content: {application/yaml: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /healthz:
    get:
      summary: Liveness.
      operationId: health
      responses:
        "200":
          description: The coordinator is serving.
          content: {application/json: {schema: {type: object, required: [status], properties: {status: {type: string, enum: [ok]}}}}}
        default: {$ref: "#/components/responses/Error"}
  /metrics:
    get:
      summary: Prometheus metrics (text exposition format).
      operationId: metrics
      responses:
        "200": {description: Metrics., content: {text/plain: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/streams:
    get:
      summary: Declared streams.
      operationId: listStreams
      responses:
        "200":
          description: The streams.
          content:
            application/json:
              schema: {type: object, required: [streams], properties: {streams: {type: array, items: {$ref: "#/components/schemas/Stream"}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/streams/{stream}:
    put:
      summary: Declare a stream (idempotent for the same key).
      operationId: declareStream
      parameters: [{$ref: "#/components/parameters/Stream"}]
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties: {key: {type: string, nullable: true, minLength: 1, description: "Partition by this field (null: by the whole event)."}}
      responses:
        "200": {description: The stream., content: {application/json: {schema: {$ref: "#/components/schemas/Stream"}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/streams/{stream}/events:
    post:
      summary: Ingest NDJSON events; answers once the accepted ones are durable.
      description: >-
        Without the producer headers ingest is at-least-once: a request sent again after a lost
        answer is appended again. With `Weir-Producer-Id` and `Weir-Producer-Seq` (an idempotent
        producer, as Kafka's) a batch is appended once however often it is sent; a resend is
        answered with `duplicate: true`, and a sequence more than 1024 batches older than the
        producer's newest is refused (409 stale_producer_sequence).
      operationId: ingest
      parameters:
        - {$ref: "#/components/parameters/Stream"}
        - {name: Content-Encoding, in: header, required: false, schema: {type: string, enum: [identity, zstd]}}
        - {name: Weir-Producer-Id, in: header, required: false, description: "The idempotent producer's id: a random number from 1, the same for all its batches; send with Weir-Producer-Seq.", schema: {type: string, pattern: "^[1-9][0-9]{0,18}$"}}
        - {name: Weir-Producer-Seq, in: header, required: false, description: "The batch's number: 1 for the producer's first, one more for each next one; a resend keeps its number.", schema: {type: string, pattern: "^[1-9][0-9]{0,18}$"}}
      requestBody:
        required: true
        description: One JSON object per line (NDJSON); `Content-Type` is not looked at.
        content:
          application/x-ndjson: {schema: {type: string, minLength: 1}}
          text/plain: {schema: {type: string, minLength: 1}}
      responses:
        "200": {description: Some or all lines accepted (rejected ones are listed)., content: {application/json: {schema: {$ref: "#/components/schemas/IngestResult"}}}}
        "400": {description: No line accepted., content: {application/json: {schema: {oneOf: [{$ref: "#/components/schemas/IngestResult"}, {$ref: "#/components/schemas/Error"}]}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/streams/{stream}/tap:
    get:
      summary: The stream's events as they arrive (NDJSON, until the client disconnects); `weir record` uses it.
      operationId: tapStream
      parameters:
        - {$ref: "#/components/parameters/Stream"}
        - {name: from, in: query, required: false, description: "now (default): events from now on; start: also the ones still in the logs.", schema: {type: string, enum: [now, start]}}
      responses:
        "200": {description: An endless NDJSON body., content: {application/x-ndjson: {schema: {type: string}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/jobs:
    get:
      summary: Submitted jobs.
      operationId: listJobs
      responses:
        "200":
          description: The jobs.
          content:
            application/json:
              schema: {type: object, required: [jobs], properties: {jobs: {type: array, items: {$ref: "#/components/schemas/Job"}}}}
        default: {$ref: "#/components/responses/Error"}
    post:
      summary: Submit a job (its YAML or JSON spec as the body).
      operationId: submitJob
      requestBody:
        required: true
        content:
          application/yaml: {schema: {type: string, minLength: 1}}
      responses:
        "201": {description: The job was registered., content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/jobs/{job}:
    get:
      summary: One job.
      operationId: getJob
      parameters: [{$ref: "#/components/parameters/Job"}]
      responses:
        "200": {description: The job., content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}}
        default: {$ref: "#/components/responses/Error"}
    delete:
      summary: Cancel a job.
      operationId: cancelJob
      parameters: [{$ref: "#/components/parameters/Job"}]
      responses:
        "200":
          description: Cancelled.
          content: {application/json: {schema: {type: object, required: [cancelled], properties: {cancelled: {type: boolean}}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/jobs/{job}/rollups:
    get:
      summary: The job's rollups, merged over all partitions, with how complete they are.
      operationId: queryRollups
      parameters:
        - {$ref: "#/components/parameters/Job"}
        - {$ref: "#/components/parameters/From"}
        - {$ref: "#/components/parameters/To"}
        - {$ref: "#/components/parameters/Last"}
        - {$ref: "#/components/parameters/Where"}
        - {$ref: "#/components/parameters/Top"}
        - {$ref: "#/components/parameters/By"}
        - {name: format, in: query, required: false, schema: {type: string, enum: [json, csv, ndjson]}}
      responses:
        "200":
          description: >-
            The windows and their rows (csv and ndjson give `weir run`'s exact bytes). The headers
            say how fresh the answer is, for every format: an answer with `Weir-Events-Behind: 0`
            counts every event acknowledged before it was asked.
          headers:
            Weir-Events-Behind: {description: "Acknowledged events the answering partitions have not processed (a moving partition answers from its committed checkpoint).", required: true, schema: {type: integer, minimum: 0}}
            Weir-Events-Uncommitted: {description: Events included that no committed checkpoint covers yet., required: true, schema: {type: integer, minimum: 0}}
            Weir-Source: {description: "`primary`: every partition answered live; `standby`: some from committed checkpoints at standbys.", required: true, schema: {type: string, enum: [primary, standby, committed]}}
            Weir-Staleness-Ms: {description: Age of the oldest stand-in state (absent when unknown)., schema: {type: integer, minimum: 0}}
            Weir-Watermark: {description: The lowest partition watermark, epoch ms (absent before any event)., schema: {type: integer}}
          content:
            application/json: {schema: {$ref: "#/components/schemas/RollupAnswer"}}
            text/csv: {schema: {type: string}}
            application/x-ndjson: {schema: {type: string}}
        default: {$ref: "#/components/responses/Error"}
  /v1/jobs/{job}/rollups/stream:
    get:
      summary: Server-Sent Events of the job's rollups.
      description: |
        Events: `facts` (watermark, completeness, counts; when they change), `update` (a window
        that is new or changed while open), `final` (once, when a window becomes final), `error`
        (the job went away; the stream ends). Data is JSON (`Window` for update and final).
        Takes the query parameters of /rollups (default last=5m) and `interval`.
      operationId: streamRollups
      parameters:
        - {$ref: "#/components/parameters/Job"}
        - {$ref: "#/components/parameters/From"}
        - {$ref: "#/components/parameters/To"}
        - {$ref: "#/components/parameters/Last"}
        - {$ref: "#/components/parameters/Where"}
        - {$ref: "#/components/parameters/Top"}
        - {$ref: "#/components/parameters/By"}
        - {name: interval, in: query, required: false, description: "How often the cluster is asked, 250ms to 1m (default 1s).", schema: {type: string, pattern: "^([1-9][0-9]{0,1}s|[2-9][0-9]{2}ms|1m)$"}}
      responses:
        "200":
          description: An endless event stream; each event as its fields (data is JSON).
          content:
            text/event-stream:
              schema:
                type: object
                required: [id, event, data]
                properties:
                  id: {type: string, pattern: "^[0-9]+$"}
                  event: {type: string, enum: [facts, update, final, error]}
                  data: {type: string}
        default: {$ref: "#/components/responses/Error"}
  /v1/jobs/{job}/diagnosis:
    get:
      summary: Why the job has (or has no) output, from live facts.
      operationId: diagnoseJob
      parameters: [{$ref: "#/components/parameters/Job"}]
      responses:
        "200": {description: Findings, most important first., content: {application/json: {schema: {$ref: "#/components/schemas/Diagnosis"}}}}
        default: {$ref: "#/components/responses/Error"}
  /v1/cluster:
    get:
      summary: Workers, partitions, leases, checkpoints and recent failovers.
      operationId: clusterStatus
      responses:
        "200": {description: The cluster., content: {application/json: {schema: {$ref: "#/components/schemas/Cluster"}}}}
        default: {$ref: "#/components/responses/Error"}
components:
  parameters:
    Stream: {name: stream, in: path, required: true, schema: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,63}$"}}
    Job: {name: job, in: path, required: true, schema: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,63}$"}}
    From:
      name: from
      in: query
      required: false
      description: "Windows starting at or after: epoch ms or ISO-8601 (2026-01-01T00:00:00Z). Must be before `to`."
      schema: {type: string, pattern: "^(-?[0-9]{1,15}|(19[7-9][0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z)$"}
    To:
      name: to
      in: query
      required: false
      description: "Windows starting before: epoch ms or ISO-8601."
      schema: {type: string, pattern: "^(-?[0-9]{1,15}|(19[7-9][0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z)$"}
    Last: {name: last, in: query, required: false, description: "Windows starting within this duration of the newest window's end.", schema: {type: string, pattern: "^[1-9][0-9]{0,5}(ms|s|m|h|d)$"}}
    Where: {name: where, in: query, required: false, description: "field=value on one of the job's group fields (repeatable).", schema: {type: string, pattern: "^[A-Za-z_][A-Za-z0-9_]*=.+$"}}
    Top: {name: top, in: query, required: false, description: "Keep the top N groups per window.", schema: {type: integer, minimum: 1, maximum: 100000}}
    By: {name: by, in: query, required: false, description: "One of the job's columns to rank by (needs top).", schema: {type: string, pattern: "^[A-Za-z_][A-Za-z0-9_]*$"}}
  responses:
    Error:
      description: An error, with what and where.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
  schemas:
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code, message]
          properties: {code: {type: string}, message: {type: string}}
    Stream:
      type: object
      required: [name, key]
      properties: {name: {type: string}, key: {type: string, nullable: true}}
    Job:
      type: object
      required: [name, stream, spec]
      properties: {name: {type: string}, stream: {type: string}, spec: {type: string, description: The spec as submitted.}}
    IngestResult:
      type: object
      required: [accepted, rejected, problems]
      properties:
        accepted: {type: integer}
        rejected: {type: integer}
        duplicate: {type: boolean, description: "Present (true) when the batch of an idempotent producer was in the log already: nothing was appended again; the counts are the batch's."}
        problems:
          type: array
          items:
            type: object
            required: [line, reason, message]
            properties: {line: {type: integer}, reason: {type: string}, message: {type: string}}
    Events:
      type: object
      required: [accepted, late, rejected, filtered, behind, uncommitted]
      properties:
        accepted: {type: integer, description: Events added to windows.}
        late: {type: integer}
        rejected: {type: integer}
        filtered: {type: integer}
        behind: {type: integer, description: Acknowledged events the owners have not processed yet.}
        uncommitted: {type: integer, description: Events included that are not yet covered by a committed checkpoint.}
    Facts:
      type: object
      required: [source, staleness_ms, partition_sources, watermark, complete, partitions_missing, events]
      properties:
        source: {type: string, enum: [primary, standby, committed], description: "primary: every partition answered by its live owner; standby: some from committed checkpoints while they move."}
        staleness_ms: {type: integer, nullable: true, description: Age of the oldest stand-in state (0 when all primary).}
        partition_sources:
          type: array
          items:
            type: object
            required: [partition, source, owner_epoch, staleness_ms]
            properties:
              partition: {type: integer}
              source: {type: string, enum: [primary, standby, committed]}
              owner_epoch: {type: integer}
              staleness_ms: {type: integer, nullable: true}
        watermark: {type: integer, nullable: true}
        complete: {type: boolean}
        partitions_missing: {type: array, items: {type: integer}}
        events: {$ref: "#/components/schemas/Events"}
    Window:
      type: object
      required: [start, end, final, late_events, groups, totals, rows]
      properties:
        start: {type: integer}
        end: {type: integer}
        final: {type: boolean}
        late_events: {type: integer}
        groups: {type: integer, description: Groups in the window before top kept some.}
        totals: {type: object, additionalProperties: true, description: "Per count or sum column: the total over all groups."}
        rows:
          type: array
          items:
            type: object
            required: [group, values]
            properties: {group: {type: object, additionalProperties: true}, values: {type: object, additionalProperties: true}}
    RollupAnswer:
      allOf:
        - $ref: "#/components/schemas/Facts"
        - type: object
          required: [job, group_by, columns, windows]
          properties:
            job: {type: string}
            group_by: {type: array, items: {type: string}}
            columns: {type: array, items: {type: string}}
            windows: {type: array, items: {$ref: "#/components/schemas/Window"}}
    Diagnosis:
      type: object
      required: [job, findings, facts, newest_window, partitions]
      properties:
        job: {type: string}
        findings:
          type: array
          items:
            type: object
            required: [code, level, message]
            properties: {code: {type: string}, level: {type: string, enum: [ok, info, warning]}, message: {type: string}}
        facts: {$ref: "#/components/schemas/Facts"}
        newest_window:
          type: object
          nullable: true
          required: [start, end, final]
          properties: {start: {type: integer}, end: {type: integer}, final: {type: boolean}}
        partitions:
          type: array
          items:
            type: object
            required: [partition, log_end, processed, watermark, idle_ms, idle]
            properties:
              partition: {type: integer}
              log_end: {type: integer}
              processed: {type: integer, nullable: true}
              watermark: {type: integer, nullable: true}
              idle_ms: {type: integer, nullable: true}
              idle: {type: boolean}
    Cluster:
      type: object
      required: [workers, partitions, streams, jobs, events, checkpoints, failovers_ms, silent_failovers_ms, failovers_new_owner_lost_ms, handoffs_ms, failover_catch_ups_ms, idle_after_ms]
      properties:
        workers:
          type: array
          items:
            type: object
            required: [name, incarnation, leaving, healthy, problem, partitions]
            properties:
              name: {type: string}
              incarnation: {type: integer}
              leaving: {type: boolean}
              healthy: {type: boolean}
              problem: {type: string, nullable: true}
              partitions: {type: array, items: {type: integer}}
        partitions:
          type: array
          items:
            type: object
            required: [partition, holder, epoch, revoking, log_end, consumed, lag, checkpoint, standby, idle_ms, idle]
            properties:
              partition: {type: integer}
              holder: {type: string, nullable: true}
              epoch: {type: integer}
              revoking: {type: boolean}
              log_end: {type: integer}
              consumed: {type: integer}
              lag: {type: integer}
              checkpoint:
                type: object
                required: [seq, offset, age_ms, replicas]
                properties:
                  seq: {type: integer}
                  offset: {type: integer}
                  age_ms: {type: integer, nullable: true}
                  replicas: {type: array, items: {type: string}}
              standby: {type: string, nullable: true}
              idle_ms: {type: integer, nullable: true}
              idle: {type: boolean}
        streams: {type: array, items: {$ref: "#/components/schemas/Stream"}}
        jobs: {type: array, items: {type: string}}
        events:
          type: object
          required: [accepted, rejected]
          properties: {accepted: {type: integer}, rejected: {type: integer}}
        checkpoints:
          type: object
          required: [committed, stale_writes_refused]
          properties: {committed: {type: integer}, stale_writes_refused: {type: integer}}
        failovers_ms: {type: array, items: {type: integer}}
        silent_failovers_ms: {type: array, items: {type: integer}}
        failovers_new_owner_lost_ms: {type: array, items: {type: integer}, description: "failovers whose new owner was lost too before it read (two faults), from the first loss"}
        handoffs_ms: {type: array, items: {type: integer}}
        failover_catch_ups_ms: {type: array, items: {type: integer}, description: "Recent failovers after a disconnect until the new owner read past where the lost owner had got."}
        idle_after_ms: {type: integer}
"""#
}
