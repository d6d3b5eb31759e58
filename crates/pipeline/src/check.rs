//! The comparison: both schemas read at once, the rules run, and what
//! follows from the result (plan, recheck after a fix).

use std::collections::BTreeSet;
use std::sync::Arc;

use driftless_fixer::{add_ledger_steps, add_rebuild_steps, FixPlan, PlanOptions, QuarantineEntry};
use driftless_introspect::{ConnectOptions, DbUrl, IntrospectOptions};
use driftless_migrations::recover_applied_sources;
use driftless_model::{
    accept_pending_effects, plan_ledger_rebuild, recorded_as_applied, select_ledger, Dialect,
    Ledger, ObjectRef, OptIn, PendingRun, Provenance, Snapshot,
};
use driftless_rules::{Config, Context, Date, FixIntent, Registry, Report};

use crate::error::{Error, Result};
use crate::live;
use crate::preflight;
use crate::progress::{Progress, Silent};
use crate::source::{Expected, ExpectedSource, SourceContext};

/// A drift check of one database against one expected source, to be run.
///
/// ```no_run
/// # async fn demo() -> driftless_pipeline::Result<()> {
/// use driftless_introspect::DbUrl;
/// use driftless_pipeline::{DriftCheck, MigrationReplay};
///
/// let target = DbUrl::parse("sqlite:production.db")?;
/// let checked = DriftCheck::new(target, Box::new(MigrationReplay::new("migrations")))
///     .run()
///     .await?;
/// for finding in &checked.report.findings {
///     println!("{} {}", finding.rule, finding.message);
/// }
/// # Ok(()) }
/// ```
pub struct DriftCheck {
    target: DbUrl,
    source: Box<dyn ExpectedSource>,
    schemas: Vec<String>,
    opt_in: OptIn,
    registry: Registry,
    config: Config,
    read_only: ConnectOptions,
    read_write: ConnectOptions,
    progress: Arc<dyn Progress>,
    today: Option<Date>,
    ledger_scope: Option<String>,
}

impl std::fmt::Debug for DriftCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriftCheck")
            .field("target", &self.target)
            .field("source", &self.source.describe())
            .field("schemas", &self.schemas)
            .finish_non_exhaustive()
    }
}

impl DriftCheck {
    /// Checks `target` against `source`, with the built-in rules, the
    /// default configuration and today's date (for waivers).
    pub fn new(target: DbUrl, source: Box<dyn ExpectedSource>) -> Self {
        DriftCheck {
            target,
            source,
            schemas: Vec::new(),
            opt_in: OptIn::default(),
            registry: Registry::builtin(),
            config: Config::default(),
            read_only: ConnectOptions::read_only(),
            read_write: ConnectOptions::default(),
            progress: Arc::new(Silent),
            today: today(),
            ledger_scope: None,
        }
    }

    /// Judges only the ledgers in schema `schema` (a tenant's own), also
    /// when the target is read again after a fix.
    pub(crate) fn with_ledger_scope(mut self, schema: &str) -> Self {
        self.ledger_scope = Some(schema.to_string());
        self
    }

    /// Compares only these schemas (default: the target's defaults).
    pub fn with_schemas<I, S>(mut self, schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Compares these opt-in kinds too (PostgreSQL privileges and
    /// publications; see `IntrospectOptions::opt_in`). Those not asked
    /// for are listed as not compared, and left out of an expected
    /// snapshot file that has them.
    pub fn with_opt_in(mut self, opt_in: OptIn) -> Self {
        self.opt_in = opt_in;
        self
    }

    /// Compares privileges too (see [`DriftCheck::with_opt_in`]).
    pub fn with_privileges(mut self, privileges: bool) -> Self {
        self.opt_in.privileges = privileges;
        self
    }

    /// What the target is read with: its schemas, the opt-in kinds.
    fn introspect(&self) -> IntrospectOptions {
        IntrospectOptions::default()
            .with_schemas(self.schemas.iter().cloned())
            .with_opt_in(self.opt_in)
    }

    /// Runs these rules (the built-in ones plus a user's own, say).
    pub fn with_registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Judges with this configuration; it is validated against the rules.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Opens databases with these options: `read_only` for the target and
    /// other databases that are only read, `read_write` for scratch
    /// databases that replays write.
    pub fn with_connect(mut self, read_only: ConnectOptions, read_write: ConnectOptions) -> Self {
        self.read_only = read_only;
        self.read_write = read_write;
        self
    }

    /// Reports stages to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Judges waivers against `today` (`None`: every waiver counts as expired).
    pub fn with_today(mut self, today: Option<Date>) -> Self {
        self.today = today;
        self
    }

    fn source_cx<'a>(&'a self, ledgers: &'a [Ledger]) -> SourceContext<'a> {
        SourceContext {
            target: &self.target,
            schemas: &self.schemas,
            read_only: &self.read_only,
            read_write: &self.read_write,
            progress: self.progress.as_ref(),
            ledgers,
            opt_in: self.opt_in,
        }
    }

    /// When the target's ledger is missing or empty but its schema holds
    /// what a prefix of the migrations creates: the expected side loaded
    /// again as if the ledger recorded that prefix, and the ledgers with
    /// the rebuilt one in place of the lost one.
    async fn rebuild_lost_ledger(
        &self,
        expected: &Expected,
        actual: &Snapshot,
        ledgers: &[Ledger],
    ) -> Result<Option<(Expected, Vec<Ledger>)>> {
        let (Some(set), Some(provenance)) = (&expected.migrations, &expected.provenance) else {
            return Ok(None);
        };
        let lost = select_ledger(set, ledgers);
        let schema = self.default_schema(actual);
        let Some(rebuild) = plan_ledger_rebuild(set, lost, provenance, actual, &schema) else {
            return Ok(None);
        };
        let mut with: Vec<Ledger> = ledgers
            .iter()
            .filter(|l| Some(*l) != lost)
            .cloned()
            .collect();
        with.push(rebuild.ledger(actual.dialect));
        let table = &rebuild.table.table;
        let _stage = self.progress.begin(&if rebuild.is_new_database() {
            format!("no ledger {table} and nothing a migration makes: a new database, every migration pending")
        } else {
            format!(
                "the ledger {table} is lost: judging against the {} migration(s) whose effects are all present",
                rebuild.recorded.len()
            )
        });
        let mut rebuilt = self.source.load(&self.source_cx(&with)).await?;
        rebuilt.rebuild = Some(rebuild);
        Ok(Some((rebuilt, with)))
    }

    /// Where a missing ledger is created: the first schema compared, else
    /// the target's default (`public`, `main`, the MySQL database).
    fn default_schema(&self, actual: &Snapshot) -> String {
        if let Some(first) = self.schemas.first() {
            return first.clone();
        }
        match actual.dialect {
            Dialect::Postgres => "public".into(),
            Dialect::Sqlite => "main".into(),
            Dialect::Mysql => actual.schemas.keys().next().cloned().unwrap_or_default(),
        }
    }

    /// Reads both sides (at the same time, read-only for the target), then
    /// runs the rules.
    pub async fn run(self) -> Result<Checked> {
        // Boxed: reading two databases and judging them is a large future,
        // and callers nest it in theirs.
        Box::pin(self.read_and_compare()).await
    }

    async fn read_and_compare(self) -> Result<Checked> {
        self.config.validate(&self.registry)?;
        // The ledgers first: what they record decides the recorded state
        // the source builds.
        let ledgers = if self.source.uses_migrations() {
            live::read_ledgers_only(&self.target, &self.read_only, self.progress.as_ref()).await?
        } else {
            Vec::new()
        };
        let cx = self.source_cx(&ledgers);
        // Two databases (or a replay and a database) cost the slower of
        // the two, not their sum.
        let introspect = self.introspect();
        let (expected, (mut actual, _)) = futures::try_join!(
            self.source.load(&cx),
            live::read_live(
                &self.target,
                &introspect,
                &self.read_only,
                self.progress.as_ref(),
                false
            ),
        )?;
        live::read_sizes(&self.target, &self.schemas, &self.read_only, &mut actual).await;
        self.compare(expected, actual, ledgers, None).await
    }

    /// Judges `actual` and its `ledgers`, read already, against the
    /// source: what [`DriftCheck::run`] does once it has read the target.
    /// A fleet reads many targets in one catalog read, then this for each;
    /// `quarantine`, when given, is what the target's quarantine holds.
    pub(crate) async fn run_read(
        self,
        actual: Snapshot,
        ledgers: Vec<Ledger>,
        quarantine: Option<(Vec<QuarantineEntry>, BTreeSet<String>)>,
    ) -> Result<Checked> {
        self.config.validate(&self.registry)?;
        let expected = self.source.load(&self.source_cx(&ledgers)).await?;
        self.compare(expected, actual, ledgers, quarantine).await
    }

    async fn compare(
        self,
        mut expected: Expected,
        actual: Snapshot,
        ledgers: Vec<Ledger>,
        quarantine: Option<(Vec<QuarantineEntry>, BTreeSet<String>)>,
    ) -> Result<Checked> {
        let states = std::iter::once(&mut expected.snapshot).chain(expected.head.as_mut());
        states.for_each(|s| s.keep_opted_in(self.opt_in));
        if expected.snapshot.dialect != actual.dialect {
            return Err(Error::DialectMismatch {
                target: self.target.to_string(),
                actual: actual.dialect,
                expected: expected.description,
                expected_dialect: expected.snapshot.dialect,
            });
        }
        // A schema the database lacks is drift when the expected schema
        // has it; when neither has it, the name is wrong.
        let unknown: Vec<String> = actual
            .missing_schemas(&self.schemas)
            .into_iter()
            .filter(|s| !expected.snapshot.schemas.contains_key(*s))
            .map(String::from)
            .collect();
        if !unknown.is_empty() {
            return Err(Error::NoSuchSchema {
                schemas: unknown,
                url: self.target.to_string(),
            });
        }
        let mut ledgers = ledgers;
        if let Some((rebuilt, with)) = self
            .rebuild_lost_ledger(&expected, &actual, &ledgers)
            .await?
        {
            expected = rebuilt;
            ledgers = with;
        }
        let cx = self.source_cx(&ledgers);
        if let Some(set) = expected.migrations.as_mut() {
            if let Some(ledger) = select_ledger(set, &ledgers) {
                // Earlier versions of modified files, from git, tell
                // cosmetic changes from real ones.
                recover_applied_sources(set, ledger);
            }
        }
        let pending_run = run_preflight(self.source.as_ref(), &cx, &expected, &actual).await?;
        if let (Some(provenance), false) = (&expected.provenance, expected.pending.is_empty()) {
            accept_pending_effects(
                &mut expected.snapshot,
                &actual,
                provenance,
                &expected.pending,
            );
        }
        let report = judge(
            &self.registry,
            &self.config,
            &expected,
            &ledgers,
            pending_run.as_ref(),
            &actual,
            self.today,
        );
        let (quarantined, quarantine_held) = match quarantine {
            Some(q) => q,
            None => quarantine_of(&self.target, &self.read_only).await,
        };
        Ok(Checked {
            target: self.target,
            schemas: self.schemas,
            opt_in: self.opt_in,
            registry: self.registry,
            config: self.config,
            expected,
            actual,
            ledgers,
            pending_run,
            report,
            quarantined,
            quarantine_held,
            read_only: self.read_only,
            read_write: self.read_write,
            progress: self.progress,
            today: self.today,
            source: self.source,
            ledger_scope: self.ledger_scope,
        })
    }
}

/// What the target's quarantine holds; nothing when it cannot be read
/// (a check does not fail on it).
async fn quarantine_of(
    target: &DbUrl,
    connect: &ConnectOptions,
) -> (Vec<QuarantineEntry>, BTreeSet<String>) {
    match crate::quarantine::read_quarantine(target, connect).await {
        Ok(q) => q,
        Err(e) => {
            tracing::warn!("cannot read the quarantine catalog: {e}");
            Default::default()
        }
    }
}

/// The source's deploy preflight on `actual`, with the live row counts.
async fn run_preflight(
    source: &dyn ExpectedSource,
    cx: &SourceContext<'_>,
    expected: &Expected,
    actual: &Snapshot,
) -> Result<Option<PendingRun>> {
    let Some(mut run) = source.preflight(cx, expected, actual).await? else {
        return Ok(None);
    };
    preflight::count_rows(&mut run, actual, cx.target, cx.schemas, cx.read_only).await?;
    Ok(Some(run))
}

/// A finished drift check: both schemas, the ledgers and the findings.
#[non_exhaustive]
pub struct Checked {
    /// The database checked.
    pub target: DbUrl,
    /// The schemas compared (empty: the target's defaults).
    pub schemas: Vec<String>,
    /// The opt-in kinds compared.
    pub opt_in: OptIn,
    /// The rules that ran.
    pub registry: Registry,
    /// The configuration they ran with.
    pub config: Config,
    /// The expected side.
    pub expected: Expected,
    /// The target's schema.
    pub actual: Snapshot,
    /// The target's migration ledgers (read when the source uses migrations).
    pub ledgers: Vec<Ledger>,
    /// The deploy preflight: the pending migrations applied to a copy of
    /// the target's schema, when there were any and a dev database.
    pub pending_run: Option<PendingRun>,
    /// The findings.
    pub report: Report,
    /// What the target's quarantine holds: kept aside by earlier fixes,
    /// never drift.
    pub quarantined: Vec<QuarantineEntry>,
    /// The names held in the PostgreSQL quarantine schema.
    quarantine_held: BTreeSet<String>,
    read_only: ConnectOptions,
    read_write: ConnectOptions,
    progress: Arc<dyn Progress>,
    today: Option<Date>,
    source: Box<dyn ExpectedSource>,
    ledger_scope: Option<String>,
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("target", &self.target)
            .field("expected", &self.expected.description)
            .field("findings", &self.report.findings.len())
            .finish_non_exhaustive()
    }
}

impl Checked {
    /// What the target is read with again (after a fix): its schemas,
    /// the opt-in kinds compared.
    pub fn introspect(&self) -> IntrospectOptions {
        IntrospectOptions::default()
            .with_schemas(self.schemas.iter().cloned())
            .with_opt_in(self.opt_in)
    }
}

impl Checked {
    /// How the target is opened when it is repaired.
    pub(crate) fn read_write(&self) -> &ConnectOptions {
        &self.read_write
    }

    /// `ledgers`, without those outside the ledger scope (a tenant's schema).
    fn scoped(&self, mut ledgers: Vec<Ledger>) -> Vec<Ledger> {
        if let Some(schema) = &self.ledger_scope {
            ledgers.retain(|l| &l.table.schema == schema);
        }
        ledgers
    }

    /// Whether a finding fails the check (drift at or above the failing severity).
    pub fn drifted(&self) -> bool {
        self.report.failed()
    }

    /// The ledger that matches the expected migrations, if any.
    pub fn ledger(&self) -> Option<&Ledger> {
        let set = self.expected.migrations.as_ref()?;
        select_ledger(set, &self.ledgers)
    }

    /// Runs the rules on `actual` (the target after a fix) against the
    /// expected side and the ledgers read with it.
    pub fn recheck(&self, actual: &Snapshot) -> Report {
        judge(
            &self.registry,
            &self.config,
            &self.expected,
            &self.ledgers,
            self.pending_run.as_ref(),
            actual,
            self.today,
        )
    }

    /// Runs the rules on `actual` (the target after a fix), with the
    /// deploy preflight run again on it: what the repair changed decides
    /// whether the pending migrations now apply.
    pub async fn recheck_after_fix(&mut self, actual: &Snapshot) -> Result<Report> {
        (self.quarantined, self.quarantine_held) =
            quarantine_of(&self.target, &self.read_only).await;
        if self.expected.migrations.is_some() {
            // Ledger steps recorded pending migrations: they are part of
            // the recorded state now.
            let ledgers =
                live::read_ledgers_only(&self.target, &self.read_only, self.progress.as_ref())
                    .await?;
            self.ledgers = self.scoped(ledgers);
            self.settle_rebuild();
            self.settle_recorded();
        }
        if self.pending_run.is_some() {
            let cx = SourceContext {
                target: &self.target,
                schemas: &self.schemas,
                read_only: &self.read_only,
                read_write: &self.read_write,
                progress: self.progress.as_ref(),
                ledgers: &self.ledgers,
                opt_in: self.opt_in,
            };
            self.pending_run =
                run_preflight(self.source.as_ref(), &cx, &self.expected, actual).await?;
        }
        Ok(self.recheck(actual))
    }

    /// Ledgers read again: a lost ledger that now holds rows (the repair
    /// rebuilt it) is judged as it is; one still lost stays replaced by
    /// its rebuilt rows.
    fn settle_rebuild(&mut self) {
        let (Some(set), Some(rebuild)) = (&self.expected.migrations, &self.expected.rebuild) else {
            return;
        };
        let lost = select_ledger(set, &self.ledgers).cloned();
        let refilled = lost.as_ref().is_some_and(|l| {
            l.table == rebuild.table
                && l.entries
                    .iter()
                    .any(|e| e.state == driftless_model::LedgerState::Applied)
        });
        if refilled {
            self.expected.rebuild = None;
            return;
        }
        let virtual_ledger = rebuild.ledger(self.actual.dialect);
        self.ledgers.retain(|l| Some(l) != lost.as_ref());
        self.ledgers.push(virtual_ledger);
    }

    /// Pending migrations the ledgers now record join the recorded state
    /// (after ledger steps or `apply_pending`).
    pub(crate) fn settle_recorded(&mut self) {
        let Some(set) = &self.expected.migrations else {
            return;
        };
        let Some(ledger) = select_ledger(set, &self.ledgers) else {
            return;
        };
        let recorded = recorded_as_applied(set, ledger);
        let now: Vec<String> = self
            .expected
            .pending
            .iter()
            .filter(|id| recorded.contains(*id))
            .cloned()
            .collect();
        take_effects(&mut self.expected, &now);
        self.expected.pending.retain(|id| !recorded.contains(id));
        if self.expected.pending.is_empty() {
            self.pending_run = None;
        }
    }

    /// Reads the target (and its ledgers) again, read-only, and runs the
    /// rules on it: the schema changed since it was read.
    pub async fn reload_actual(&mut self) -> Result<()> {
        let (actual, ledgers) = live::read_live(
            &self.target,
            &self.introspect(),
            &self.read_only,
            self.progress.as_ref(),
            self.expected.migrations.is_some(),
        )
        .await?;
        self.actual = actual;
        live::read_sizes(
            &self.target,
            &self.schemas,
            &self.read_only,
            &mut self.actual,
        )
        .await;
        self.ledgers = self.scoped(ledgers);
        (self.quarantined, self.quarantine_held) =
            quarantine_of(&self.target, &self.read_only).await;
        self.settle_rebuild();
        self.report = self.recheck(&self.actual);
        Ok(())
    }

    /// The repair plan for the findings: the schema steps, then a ledger
    /// step for each pending migration to record (its effects all present,
    /// or made by the schema steps first when only part of them is).
    pub fn plan(&self, options: &PlanOptions) -> Result<FixPlan> {
        let to_record: Vec<String> = self
            .report
            .findings
            .iter()
            .filter(|f| f.fix == FixIntent::RecordMigration)
            .filter_map(|f| f.migration.clone())
            .collect();
        let (target, findings) = if to_record.is_empty() {
            (self.expected.snapshot.clone(), self.report.findings.clone())
        } else {
            let mut target = self.expected.clone();
            take_effects(&mut target, &to_record);
            let findings = judge(
                &self.registry,
                &self.config,
                &target,
                &self.ledgers,
                self.pending_run.as_ref(),
                &self.actual,
                self.today,
            )
            .findings;
            (target.snapshot, findings)
        };
        // Columns a migration added to a table with rows get what it gave them.
        let mut options = options.clone();
        options
            .quarantine_held
            .extend(self.quarantine_held.iter().cloned());
        if let Some(p) = &self.expected.provenance {
            let mut backfills = p.backfills().clone();
            backfills.extend(std::mem::take(&mut options.backfills));
            options.backfills = backfills;
        }
        let mut plan = driftless_fixer::plan(&target, &self.actual, &findings, &options)?;
        let provenance = self.expected.provenance.as_ref();
        if let Some(p) = provenance {
            mark_completing(&mut plan, p, &to_record);
        }
        if let (Some(set), Some(rebuild)) = (&self.expected.migrations, &self.expected.rebuild) {
            add_rebuild_steps(&mut plan, set, rebuild, &findings, provenance)?;
        }
        if let (Some(set), Some(ledger)) = (&self.expected.migrations, self.ledger()) {
            add_ledger_steps(&mut plan, set, ledger, &findings, provenance)?;
        }
        Ok(plan)
    }
}

/// Marks the steps of `plan` that make part of what a migration of `ids`
/// (about to be recorded) does: they complete it, and run before the
/// migration tool's next migrate as its ledger steps do.
fn mark_completing(plan: &mut FixPlan, provenance: &Provenance, ids: &[String]) {
    for step in &mut plan.steps {
        step.completes = ids
            .iter()
            .find(|id| {
                provenance
                    .effects(id)
                    .iter()
                    .any(|e| e.object == step.object)
            })
            .cloned();
    }
}

/// Takes into `expected.snapshot` what migrations `ids` do, as the head
/// state has it: they are recorded (or about to be), so the recorded state
/// holds their effects.
fn take_effects(expected: &mut Expected, ids: &[String]) {
    let (Some(head), Some(provenance)) = (&expected.head, &expected.provenance) else {
        return;
    };
    let objects: std::collections::BTreeSet<&ObjectRef> = ids
        .iter()
        .flat_map(|id| provenance.effects(id))
        .map(|e| &e.object)
        .collect();
    for o in objects {
        expected.snapshot.adopt(head, o);
    }
}

/// Runs the rules over the expected side (with its migrations and their
/// provenance, when known) and `actual` (with the target's ledgers).
fn judge(
    registry: &Registry,
    config: &Config,
    expected: &Expected,
    ledgers: &[Ledger],
    pending_run: Option<&PendingRun>,
    actual: &Snapshot,
    today: Option<Date>,
) -> Report {
    let mut cx = Context::new(&expected.snapshot, actual).with_renames(config.renames());
    if let Some(day) = today {
        cx = cx.with_today(day);
    }
    if let Some(set) = &expected.migrations {
        cx = cx.with_migrations(set, select_ledger(set, ledgers));
    }
    if let Some(p) = &expected.provenance {
        cx = cx.with_provenance(p);
    }
    if let Some(run) = pending_run {
        cx = cx.with_pending_run(run);
    }
    if let Some(rebuild) = &expected.rebuild {
        cx = cx.with_ledger_rebuild(rebuild);
    }
    registry.check(config, &cx)
}

/// Today's date (UTC), against which waivers expire.
pub fn today() -> Option<Date> {
    let now = time::OffsetDateTime::now_utc();
    Date::from_ymd(now.year(), u8::from(now.month()), now.day())
}
