-- +goose Up
-- A judgment is one judge call of a judge run (a job), with its full provenance:
-- the judge version, the request's hash and messages, the raw reply, the parsed
-- verdict or the parse error, the order shown, tokens, cost, latency and attempts.
--
-- item names what the run judged: "<response_a>:<response_b>" for a pair (A the
-- baseline's response), the response id for a pointwise or reward judge. An item
-- has one row per call (two for order "both"; one without a call for identical
-- outputs). The key (evaluation_id, job_id, item, call) is what makes a run
-- idempotent: a restarted run skips the items it finds here, and a second writer of
-- the same item fails instead of storing it twice. An item's judgments commit in
-- the same transaction as the comparison or score made from them.
CREATE TABLE judgments (
    evaluation_id      uuid             NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    id                 uuid             NOT NULL,
    job_id             uuid             NOT NULL,
    item               text             NOT NULL,
    call               smallint         NOT NULL,
    judge_name         text             NOT NULL,
    judge_version      integer          NOT NULL,
    response_a_id      uuid,
    response_b_id      uuid,
    response_id        uuid,
    -- The comparison made from the item's verdict, or the scorer name of the score
    -- (the judge's name) on response_id; null without a verdict.
    comparison_id      uuid,
    request_hash       text             NOT NULL,
    messages           jsonb            NOT NULL,
    -- The reply: content, the first tokens' top logprobs, finish_reason,
    -- system_fingerprint; for a reward model, the score it returned.
    content            text             NOT NULL DEFAULT '',
    logprobs           jsonb,
    finish_reason      text             NOT NULL DEFAULT '',
    system_fingerprint text             NOT NULL DEFAULT '',
    raw                jsonb,
    reward             double precision,
    verdict            double precision,
    parse_error        text             NOT NULL DEFAULT '',
    order_shown        text             NOT NULL DEFAULT '',
    identical          boolean          NOT NULL DEFAULT false,
    input_tokens       bigint           NOT NULL DEFAULT 0,
    output_tokens      bigint           NOT NULL DEFAULT 0,
    cost               double precision NOT NULL DEFAULT 0,
    latency_ms         double precision NOT NULL DEFAULT 0,
    attempts           integer          NOT NULL DEFAULT 0,
    cached             boolean          NOT NULL DEFAULT false,
    created_at         timestamptz      NOT NULL,
    PRIMARY KEY (evaluation_id, id),
    CONSTRAINT judgments_item_key UNIQUE (evaluation_id, job_id, item, call),
    FOREIGN KEY (judge_name, judge_version) REFERENCES judges (name, version),
    FOREIGN KEY (evaluation_id, response_a_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (evaluation_id, response_b_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (evaluation_id, response_id) REFERENCES responses (evaluation_id, id) ON DELETE CASCADE,
    CONSTRAINT judgments_one_subject CHECK ((response_id IS NULL) <> (response_a_id IS NULL AND response_b_id IS NULL))
);
-- The cache: a request whose hash was answered before reuses the stored reply.
CREATE INDEX judgments_request_hash_idx ON judgments (request_hash, created_at) WHERE request_hash <> '';
CREATE INDEX judgments_comparison_idx ON judgments (evaluation_id, comparison_id) WHERE comparison_id IS NOT NULL;
CREATE INDEX judgments_response_idx ON judgments (evaluation_id, response_id, judge_name) WHERE response_id IS NOT NULL;
-- Deleting a response deletes its judgments through these (and the one above).
CREATE INDEX judgments_response_a_idx ON judgments (evaluation_id, response_a_id) WHERE response_a_id IS NOT NULL;
CREATE INDEX judgments_response_b_idx ON judgments (evaluation_id, response_b_id) WHERE response_b_id IS NOT NULL;

-- +goose Down
DROP TABLE judgments;
