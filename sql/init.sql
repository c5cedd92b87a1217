-- Operational database of the Pre-Delinquency Risk Engine: plain PostgreSQL DDL for DBAs.
--
-- The same schema as the Alembic migrations in migrations/ at revision 0007 (a test builds
-- both in separate schemas and compares them). It creates the tables in the first schema of
-- the search_path and stamps alembic_version, so `pde db upgrade` can take over afterwards.
--
--     psql -v ON_ERROR_STOP=1 -d pde -f sql/init.sql
--
-- Money is NUMERIC(18,2); every timestamp is TIMESTAMPTZ and written in UTC.

BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('0011');

-- People who sign in. Passwords are argon2id hashes (argon2-cffi); never plain text.
CREATE TABLE users (
    id SERIAL NOT NULL,
    username VARCHAR(64) NOT NULL,
    full_name VARCHAR(128) NOT NULL,
    role VARCHAR(16) NOT NULL,
    is_active BOOLEAN NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_login_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (id),
    CONSTRAINT uq_users_username UNIQUE (username),
    CONSTRAINT ck_users_role CHECK (role IN ('officer', 'supervisor', 'admin'))
);

-- Customers: profile and exposure, loaded from the canonical data (`pde db load-customers`).
CREATE TABLE customers (
    customer_id VARCHAR(64) NOT NULL,
    open_date DATE NOT NULL,
    birth_year INTEGER NOT NULL,
    income_bracket VARCHAR(32) NOT NULL,
    employment_type VARCHAR(32) NOT NULL,
    region VARCHAR(64) NOT NULL,
    product VARCHAR(32) NOT NULL,
    credit_limit NUMERIC(18, 2) NOT NULL,
    outstanding_balance NUMERIC(18, 2) NOT NULL,
    monthly_obligation NUMERIC(18, 2) NOT NULL,
    declared_income NUMERIC(18, 2),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (customer_id),
    CONSTRAINT ck_customers_exposure_non_negative
        CHECK (credit_limit >= 0 AND outstanding_balance >= 0 AND monthly_obligation >= 0)
);

-- Registry of model bundles; at most one champion at any time.
CREATE TABLE model_versions (
    version VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    description VARCHAR(500),
    registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    status_changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (version),
    CONSTRAINT ck_model_versions_status CHECK (status IN ('champion', 'challenger', 'retired'))
);
CREATE UNIQUE INDEX uq_model_versions_one_champion ON model_versions (status)
    WHERE status = 'champion';

-- Which officer owns which customer; the row with ended_at NULL is the current owner.
CREATE TABLE customer_assignments (
    id SERIAL NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    officer VARCHAR(64) NOT NULL,
    assigned_by VARCHAR(64) NOT NULL,
    assigned_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (id),
    CONSTRAINT fk_customer_assignments_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT fk_customer_assignments_officer_users
        FOREIGN KEY (officer) REFERENCES users (username),
    CONSTRAINT fk_customer_assignments_assigned_by_users
        FOREIGN KEY (assigned_by) REFERENCES users (username)
);
CREATE UNIQUE INDEX uq_customer_assignments_open_customer_id ON customer_assignments (customer_id)
    WHERE ended_at IS NULL;
CREATE INDEX ix_customer_assignments_officer ON customer_assignments (officer);

-- Interventions: recommended -> approved -> assigned -> in_progress -> completed | cancelled.
-- `version` is the optimistic-lock counter: every UPDATE checks and increments it.
CREATE TABLE interventions (
    id SERIAL NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    type VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    priority VARCHAR(16) NOT NULL,
    reason VARCHAR(1000),
    risk_probability DOUBLE PRECISION,
    model_version VARCHAR(64),
    created_by VARCHAR(64) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    sla_due_at TIMESTAMP WITH TIME ZONE NOT NULL,
    approved_by VARCHAR(64),
    approved_at TIMESTAMP WITH TIME ZONE,
    assigned_to VARCHAR(64),
    assigned_at TIMESTAMP WITH TIME ZONE,
    started_at TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    cancelled_at TIMESTAMP WITH TIME ZONE,
    cancel_reason VARCHAR(1000),
    version INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_interventions_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT fk_interventions_model_version_model_versions
        FOREIGN KEY (model_version) REFERENCES model_versions (version),
    CONSTRAINT fk_interventions_created_by_users FOREIGN KEY (created_by) REFERENCES users (username),
    CONSTRAINT fk_interventions_approved_by_users FOREIGN KEY (approved_by) REFERENCES users (username),
    CONSTRAINT fk_interventions_assigned_to_users FOREIGN KEY (assigned_to) REFERENCES users (username),
    CONSTRAINT ck_interventions_type CHECK (type IN ('soft_reminder', 'agent_call', 'payment_plan',
        'restructuring', 'payment_holiday', 'financial_counselling')),
    CONSTRAINT ck_interventions_status CHECK (status IN ('recommended', 'approved', 'assigned',
        'in_progress', 'completed', 'cancelled')),
    CONSTRAINT ck_interventions_priority CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT ck_interventions_version_positive CHECK (version >= 1)
);
CREATE INDEX ix_interventions_customer_id_type_created_at
    ON interventions (customer_id, type, created_at);
CREATE INDEX ix_interventions_status_sla_due_at ON interventions (status, sla_due_at);
CREATE INDEX ix_interventions_assigned_to_status ON interventions (assigned_to, status);

-- What happened after an intervention; a correction is a new row, never an edit.
CREATE TABLE intervention_outcomes (
    id SERIAL NOT NULL,
    intervention_id INTEGER NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    amount NUMERIC(18, 2),
    promised_date DATE,
    note VARCHAR(1000),
    recorded_by VARCHAR(64) NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_intervention_outcomes_intervention_id_interventions
        FOREIGN KEY (intervention_id) REFERENCES interventions (id),
    CONSTRAINT fk_intervention_outcomes_recorded_by_users
        FOREIGN KEY (recorded_by) REFERENCES users (username),
    CONSTRAINT ck_intervention_outcomes_outcome CHECK (outcome IN ('paid', 'promise_to_pay',
        'promise_kept', 'promise_broken', 'no_response', 'defaulted'))
);
CREATE INDEX ix_intervention_outcomes_intervention_id ON intervention_outcomes (intervention_id);

-- Score history: one row per (customer, as-of date, model version), the primary key.
CREATE TABLE risk_scores (
    customer_id VARCHAR(64) NOT NULL,
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    tier VARCHAR(16) NOT NULL,
    alert BOOLEAN NOT NULL,
    top_reasons JSON NOT NULL,
    scored_at TIMESTAMP WITH TIME ZONE NOT NULL,
    run_id VARCHAR(64),
    miss_within_7d DOUBLE PRECISION,
    miss_within_14d DOUBLE PRECISION,
    miss_within_30d DOUBLE PRECISION,
    expected_days_to_miss DOUBLE PRECISION,
    PRIMARY KEY (customer_id, as_of, model_version),
    CONSTRAINT fk_risk_scores_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT fk_risk_scores_model_version_model_versions
        FOREIGN KEY (model_version) REFERENCES model_versions (version),
    CONSTRAINT ck_risk_scores_probability_range CHECK (probability >= 0 AND probability <= 1),
    CONSTRAINT ck_risk_scores_tier CHECK (tier IN ('low', 'medium', 'high', 'critical'))
);
CREATE INDEX ix_risk_scores_as_of_probability ON risk_scores (as_of, probability);
CREATE INDEX ix_risk_scores_run_id ON risk_scores (run_id);

-- Batch scoring runs: progress committed with each chunk, so a crashed run resumes.
CREATE TABLE scoring_runs (
    run_id VARCHAR(64) NOT NULL,
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    total_customers INTEGER,
    status VARCHAR(16) NOT NULL,
    rows_written INTEGER NOT NULL,
    chunks_committed INTEGER NOT NULL,
    last_customer_id VARCHAR(64),
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at TIMESTAMP WITH TIME ZONE,
    attempts INTEGER NOT NULL,
    error VARCHAR(2000),
    PRIMARY KEY (run_id),
    CONSTRAINT fk_scoring_runs_model_version_model_versions
        FOREIGN KEY (model_version) REFERENCES model_versions (version),
    CONSTRAINT ck_scoring_runs_status CHECK (status IN ('running', 'completed', 'failed'))
);

-- Each customer's assigned arm (an action or the control `none`) on a date and its 30-day
-- outcome: the history uplift models learn from and the control group every ROI subtracts.
CREATE TABLE treatment_outcomes (
    assignment_id VARCHAR(64) NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    assigned_on DATE NOT NULL,
    action VARCHAR(32) NOT NULL,
    assignment VARCHAR(16) NOT NULL,
    reached BOOLEAN NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    cost FLOAT NOT NULL,
    source VARCHAR(64) NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (assignment_id),
    CONSTRAINT ck_treatment_outcomes_action CHECK (action IN ('none', 'soft_reminder',
        'agent_call', 'payment_plan', 'restructuring', 'payment_holiday',
        'financial_counselling')),
    CONSTRAINT ck_treatment_outcomes_assignment
        CHECK (assignment IN ('random', 'rule', 'holdout', 'policy')),
    CONSTRAINT ck_treatment_outcomes_outcome
        CHECK (outcome IN ('cured', 'missed', 'no_response')),
    CONSTRAINT ck_treatment_outcomes_cost_non_negative CHECK (cost >= 0)
);
CREATE INDEX ix_treatment_outcomes_action_assigned_on ON treatment_outcomes (action, assigned_on);
CREATE INDEX ix_treatment_outcomes_customer_id ON treatment_outcomes (customer_id);

-- The recommender's action for each alerted customer on a scoring date (pde score-portfolio).
CREATE TABLE recommendations (
    customer_id VARCHAR(64) NOT NULL,
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    action VARCHAR(32),
    expected_effect FLOAT,
    net_benefit FLOAT,
    effect_basis VARCHAR(16) NOT NULL,
    why VARCHAR(300) NOT NULL,
    vulnerable BOOLEAN NOT NULL,
    held_out BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (customer_id, as_of),
    CONSTRAINT ck_recommendations_action CHECK (action IS NULL OR action IN ('soft_reminder',
        'agent_call', 'payment_plan', 'restructuring', 'payment_holiday',
        'financial_counselling')),
    CONSTRAINT ck_recommendations_effect_basis CHECK (effect_basis IN ('learned', 'prior'))
);
CREATE INDEX ix_recommendations_as_of ON recommendations (as_of);

-- Append-only audit log. Each row carries the SHA-256 of the previous row (prev_hash) and of
-- its own canonical content (row_hash); `pde db verify-audit` recomputes the chain.
CREATE TABLE action_audit_log (
    id BIGINT NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    actor VARCHAR(64) NOT NULL,
    action VARCHAR(64) NOT NULL,
    entity_type VARCHAR(64) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    before JSON,
    after JSON,
    prev_hash VARCHAR(64) NOT NULL,
    row_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_action_audit_log_row_hash UNIQUE (row_hash)
);
CREATE INDEX ix_action_audit_log_entity ON action_audit_log (entity_type, entity_id);
CREATE INDEX ix_action_audit_log_occurred_at ON action_audit_log (occurred_at);

CREATE FUNCTION action_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'action_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER action_audit_log_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON action_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION action_audit_log_append_only();

-- Drift of each scoring date against the bundle's reference distributions (docs/monitoring.md):
-- PSI of the score and a two-sample KS test of it, and PSI per feature.
CREATE TABLE drift_checks (
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    rows INTEGER NOT NULL,
    score_psi DOUBLE PRECISION NOT NULL,
    score_ks_statistic DOUBLE PRECISION NOT NULL,
    score_ks_pvalue DOUBLE PRECISION NOT NULL,
    max_feature_psi DOUBLE PRECISION,
    features_checked INTEGER NOT NULL,
    features_warn INTEGER NOT NULL,
    features_alert INTEGER NOT NULL,
    level VARCHAR(16) NOT NULL,
    psi_warn DOUBLE PRECISION NOT NULL,
    psi_alert DOUBLE PRECISION NOT NULL,
    computed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (as_of, model_version),
    CONSTRAINT fk_drift_checks_model_version_model_versions
        FOREIGN KEY (model_version) REFERENCES model_versions (version),
    CONSTRAINT ck_drift_checks_level CHECK (level IN ('ok', 'warn', 'alert'))
);

CREATE TABLE feature_drift (
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    feature VARCHAR(128) NOT NULL,
    psi DOUBLE PRECISION NOT NULL,
    missing_share DOUBLE PRECISION NOT NULL,
    reference_missing_share DOUBLE PRECISION NOT NULL,
    level VARCHAR(16) NOT NULL,
    calendar BOOLEAN DEFAULT false NOT NULL,
    PRIMARY KEY (as_of, model_version, feature),
    CONSTRAINT fk_feature_drift_drift_checks
        FOREIGN KEY (as_of, model_version) REFERENCES drift_checks (as_of, model_version)
        ON DELETE CASCADE,
    CONSTRAINT ck_feature_drift_level CHECK (level IN ('ok', 'warn', 'alert'))
);

-- Performance per scoring date: realised once the 30-day outcomes are known, estimated from
-- the calibrated probabilities (CBPE) before.
CREATE TABLE performance_by_date (
    as_of DATE NOT NULL,
    model_version VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    rows INTEGER NOT NULL,
    labelled_rows INTEGER,
    auc DOUBLE PRECISION,
    auc_low DOUBLE PRECISION,
    auc_high DOUBLE PRECISION,
    ks DOUBLE PRECISION,
    predicted_rate DOUBLE PRECISION NOT NULL,
    predicted_rate_low DOUBLE PRECISION,
    predicted_rate_high DOUBLE PRECISION,
    observed_rate DOUBLE PRECISION,
    by_tier JSON NOT NULL,
    computed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (as_of, model_version, kind),
    CONSTRAINT fk_performance_by_date_model_version_model_versions
        FOREIGN KEY (model_version) REFERENCES model_versions (version),
    CONSTRAINT ck_performance_by_date_kind CHECK (kind IN ('realised', 'estimated'))
);

-- A customer's 30-day outcome after a scoring date, by the label rule, once known.
CREATE TABLE matured_outcomes (
    customer_id VARCHAR(64) NOT NULL,
    as_of DATE NOT NULL,
    label SMALLINT NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (customer_id, as_of),
    CONSTRAINT fk_matured_outcomes_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT ck_matured_outcomes_label CHECK (label IN (0, 1))
);

-- The shadow challenger's scores, apart from the champion's (`pde score-portfolio` with a
-- challenger loaded beside the served model).
CREATE TABLE challenger_scores (
    as_of DATE NOT NULL,
    challenger_version VARCHAR(64) NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    champion_version VARCHAR(64) NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    threshold_alert BOOLEAN NOT NULL,
    alert BOOLEAN NOT NULL,
    scored_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (as_of, challenger_version, customer_id),
    CONSTRAINT fk_challenger_scores_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
);
CREATE INDEX ix_challenger_scores_as_of_champion ON challenger_scores (as_of, champion_version);

-- Background jobs run by `pde jobs worker`, one at a time (the partial unique index).
CREATE TABLE jobs (
    id SERIAL NOT NULL,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    params JSON NOT NULL,
    requested_by VARCHAR(64) NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    log_tail VARCHAR(4000) NOT NULL,
    worker VARCHAR(128),
    enqueued_at TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE,
    heartbeat_at TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    duration_s DOUBLE PRECISION,
    error VARCHAR(2000),
    PRIMARY KEY (id),
    CONSTRAINT ck_jobs_kind
        CHECK (kind IN ('generate', 'retrain', 'score', 'drift', 'realised', 'nightly')),
    CONSTRAINT ck_jobs_status CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    CONSTRAINT ck_jobs_progress_range CHECK (progress >= 0 AND progress <= 1)
);
CREATE UNIQUE INDEX uq_jobs_one_running ON jobs (status) WHERE status = 'running';
CREATE INDEX ix_jobs_status_id ON jobs (status, id);



-- The app's server-side sessions: the browser's cookie holds a random token, this table only
-- its keyed hash. Signing out and deactivating a user delete the rows.
CREATE TABLE app_sessions (
    token_hash VARCHAR(64) NOT NULL,
    username VARCHAR(64) NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    client_address VARCHAR(64),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (token_hash),
    CONSTRAINT fk_app_sessions_username_users FOREIGN KEY (username) REFERENCES users (username)
);
CREATE INDEX ix_app_sessions_username ON app_sessions (username);

-- Failed sign-ins per username ('user:<name>') and per client address ('address:<ip>').
CREATE TABLE login_throttle (
    key VARCHAR(128) NOT NULL,
    failures INTEGER NOT NULL,
    window_start TIMESTAMP WITH TIME ZONE NOT NULL,
    locked_until TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (key)
);

-- Casework for calls (0011): contact preferences and flags, promises to pay, trigger events.
CREATE TABLE contact_preferences (
    customer_id VARCHAR(64) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    best_time VARCHAR(16) NOT NULL,
    do_not_contact BOOLEAN NOT NULL,
    vulnerable BOOLEAN NOT NULL,
    note VARCHAR(1000),
    updated_by VARCHAR(64) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (customer_id),
    CONSTRAINT fk_contact_preferences_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT fk_contact_preferences_updated_by_users
        FOREIGN KEY (updated_by) REFERENCES users (username),
    CONSTRAINT ck_contact_preferences_channel
        CHECK (channel IN ('phone', 'sms', 'email', 'letter', 'branch')),
    CONSTRAINT ck_contact_preferences_best_time
        CHECK (best_time IN ('any', 'morning', 'afternoon', 'evening'))
);

CREATE TABLE promises_to_pay (
    id SERIAL NOT NULL,
    intervention_id INTEGER NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    made_on DATE NOT NULL,
    due_date DATE NOT NULL,
    amount NUMERIC(18, 2) NOT NULL,
    status VARCHAR(16) NOT NULL,
    paid_amount NUMERIC(18, 2),
    recorded_by VARCHAR(64) NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    resolved_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (id),
    CONSTRAINT fk_promises_to_pay_intervention_id_interventions
        FOREIGN KEY (intervention_id) REFERENCES interventions (id),
    CONSTRAINT fk_promises_to_pay_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT fk_promises_to_pay_recorded_by_users
        FOREIGN KEY (recorded_by) REFERENCES users (username),
    CONSTRAINT ck_promises_to_pay_status CHECK (status IN ('open', 'kept', 'broken')),
    CONSTRAINT ck_promises_to_pay_amount_positive CHECK (amount > 0),
    CONSTRAINT ck_promises_to_pay_due_after_made CHECK (due_date >= made_on)
);
CREATE INDEX ix_promises_to_pay_status_due_date ON promises_to_pay (status, due_date);
CREATE INDEX ix_promises_to_pay_customer_id ON promises_to_pay (customer_id);

CREATE TABLE trigger_events (
    customer_id VARCHAR(64) NOT NULL,
    day DATE NOT NULL,
    kind VARCHAR(32) NOT NULL,
    detail VARCHAR(200) NOT NULL,
    raised_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (customer_id, day),
    CONSTRAINT ck_trigger_events_kind
        CHECK (kind IN ('salary_missed', 'auto_debit_failed', 'payment_missed'))
);
CREATE INDEX ix_trigger_events_day ON trigger_events (day);

COMMIT;

-- Optional: TimescaleDB partitions the score history by as_of (monthly chunks). Skipped, with a
-- notice, when the extension is not installed or cannot be loaded. The primary key includes
-- as_of, as TimescaleDB requires; nothing references risk_scores by foreign key.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS timescaledb;
            PERFORM create_hypertable(
                'risk_scores', 'as_of',
                chunk_time_interval => INTERVAL '1 month',
                migrate_data => true,
                if_not_exists => true
            );
            RAISE NOTICE 'risk_scores is a TimescaleDB hypertable';
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'TimescaleDB unavailable (%): risk_scores stays a plain table', SQLERRM;
        END;
    ELSE
        RAISE NOTICE 'TimescaleDB not installed: risk_scores stays a plain table';
    END IF;
END
$$;
