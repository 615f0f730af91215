// In-memory sample data for the stand-in server, mirroring the dev seed in db/changelog/seed/.
// Deterministic (no random ids, no clock) so screenshots and tests look the same on every run.

const TEAMS = [
  ['DEV Database Administration', 'dba@umig.example', 'Owns database cutover steps'],
  ['DEV Network Operations', 'netops@umig.example', 'Firewall, DNS and load balancer changes'],
  ['DEV Application Support', 'appsupport@umig.example', 'Application start/stop and smoke checks'],
  ['DEV Business Validation', 'business@umig.example', 'Sign-off after each iteration'],
];

const USERS = [
  ['ADM', 'Ada', 'Admin', true, 1],
  ['JDO', 'Jane', 'Doe', false, 2],
  ['RSM', 'Rahul', 'Smith', false, 3],
  ['LMU', 'Lena', 'Mueller', false, 4],
  ['TKO', 'Tomasz', 'Kowalski', false, 1],
];

const STEP_STATUSES = ['PENDING', 'TODO', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'BLOCKED', 'CANCELLED'];
const COLORS = { PENDING: '#DFE1E6', TODO: '#FFFFFF', IN_PROGRESS: '#0052CC', COMPLETED: '#00875A', FAILED: '#DE350B', BLOCKED: '#FF5630', CANCELLED: '#6B778C', PLANNING: '#FFA500' };

/** A v4-shaped UUID derived from a number, so ids are stable between runs. */
const uuid = (kind, n) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Builds the sample dataset. */
export function sampleData() {
  const teams = TEAMS.map(([name, email, description], i) => ({
    tms_id: i + 1,
    tms_name: name,
    tms_email: email,
    tms_description: description,
    member_count: USERS.filter((u) => u[4] === i + 1).length,
  }));
  const users = USERS.map(([code, first, last, admin, team], i) => ({
    usr_id: i + 1,
    usr_code: code,
    usr_first_name: first,
    usr_last_name: last,
    usr_email: `${first}.${last}@umig.example`.toLowerCase(),
    usr_is_admin: admin,
    usr_active: true,
    tms_id: team,
  }));
  const migrations = [
    { mgr_id: uuid(1, 1), mgr_name: 'DEV Data Centre Exit', mgr_type: 'EXTERNAL', mgr_status: 'IN_PROGRESS', mgr_start_date: '2026-01-05', mgr_end_date: '2026-06-30', usr_code_owner: 'ADM' },
    { mgr_id: uuid(1, 2), mgr_name: 'DEV Payments Platform Upgrade', mgr_type: 'INTERNAL', mgr_status: 'PLANNING', mgr_start_date: '2026-04-01', mgr_end_date: '2026-09-30', usr_code_owner: 'JDO' },
  ];
  const iterations = [
    { ite_id: uuid(2, 1), mgr_id: migrations[0].mgr_id, ite_name: 'RUN1 - Dress rehearsal', ite_type: 'RUN', ite_status: 'PLANNING', ite_static_cutover_date: '2026-03-14T18:00:00Z' },
    { ite_id: uuid(2, 2), mgr_id: migrations[0].mgr_id, ite_name: 'DR1 - Disaster recovery test', ite_type: 'DR', ite_status: 'PLANNING', ite_static_cutover_date: '2026-04-25T18:00:00Z' },
    { ite_id: uuid(2, 3), mgr_id: migrations[0].mgr_id, ite_name: 'CUTOVER - Production move', ite_type: 'CUTOVER', ite_status: 'PLANNING', ite_static_cutover_date: '2026-06-13T18:00:00Z' },
  ];
  const plans = iterations.map((ite, i) => ({
    pln_id: uuid(3, i + 1),
    ite_id: ite.ite_id,
    pln_name: 'Core banking cutover',
    pln_status: 'PLANNING',
    tms_id: 1,
  }));
  const steps = [];
  plans.forEach((pln, p) => {
    for (let n = 1; n <= 12; n += 1) {
      const status = p === 0 ? STEP_STATUSES[(n * 3) % STEP_STATUSES.length] : 'PENDING';
      steps.push({
        stm_id: uuid(4, p * 100 + n),
        pln_id: pln.pln_id,
        stm_number: n * 10,
        stm_name: `Step ${n * 10}`,
        stm_duration_minutes: 5 + ((n * 7) % 40),
        stm_status: status,
        stm_status_color: COLORS[status],
        tms_id_owner: 1 + (n % teams.length),
      });
    }
  });
  const statuses = Object.entries(COLORS).map(([name, color], i) => ({ sts_id: i + 1, sts_name: name, sts_color: color }));
  const databaseVersions = [
    ['001-create-teams-table', 'db/changelog/changes/001-teams-users.sql'],
    ['002-create-users-table', 'db/changelog/changes/001-teams-users.sql'],
    ['003-create-team-membership', 'db/changelog/changes/001-teams-users.sql'],
    ['004-create-status-table', 'db/changelog/changes/002-status-reference.sql'],
    ['005-seed-status-values', 'db/changelog/changes/002-status-reference.sql'],
    ['006-create-migrations-table', 'db/changelog/changes/003-migrations-iterations.sql'],
    ['007-create-iterations-table', 'db/changelog/changes/003-migrations-iterations.sql'],
  ].map(([id, filename], i) => ({ id, author: 'umig', filename, orderexecuted: i + 1, exectype: 'EXECUTED' }));
  return { teams, users, migrations, iterations, plans, steps, statuses, databaseVersions };
}
