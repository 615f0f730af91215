/**
 * The fixed POSIX-sh scripts an ssh target runs on its hosts. Inputs arrive only as positional parameters
 * (`sh -c SCRIPT sh "$1" "$2"…`, quoted by quote.ts), never as script text. `umask 077`: journal, logs, lock and
 * uploads are owner-only, like the local target's.
 *
 * Processes are what a deploy costs the hosts (and, with 8 "hosts" on one machine, the bench): every fork is a
 * process, and a command substitution or a pipeline is one or more. So the scripts use the shell's own builtins
 * where they say the same (\`[ -d ]\` before a \`mkdir -p\`, \`\${f%/*}\` for dirname, a glob for \`ls\`, \`read\` for
 * \`grep\`, one \`stat -c %s\` for \`wc -c | tr\`, one \`find\` pass for the install's three), and no subshell for a
 * function's arguments.
 */
import { shJoin } from './quote.js';

const PRE = 'umask 077; set -u;';

const PREPARE = `for c in tar sha256sum find mv ln readlink realpath sync tail stat; do
  command -v "$c" >/dev/null 2>&1 || { echo "the host lacks $c" >&2; exit 3; }
done
{ { [ -d "$1/releases" ] && [ -d "$1/shared" ]; } || { umask 022; mkdir -p -- "$1/releases" "$1/shared"; r=$?; umask 077; [ "$r" -eq 0 ]; }; } &&
  if [ -d "$1/.slipway" ]; then
    { { [ -d "$1/.slipway/incoming" ] && [ -d "$1/.slipway/logs" ]; } || mkdir -p -- "$1/.slipway/incoming" "$1/.slipway/logs"; } &&
      chmod 700 -- "$1/.slipway"
  else mkdir -p -- "$1/.slipway/incoming" "$1/.slipway/logs"; fi`;

const STATE = `if [ -L "$1/current" ]; then printf 'C %s\\n' "$(readlink -- "$1/current" 2>/dev/null)"; else echo 'C '; fi
for d in "$1"/releases/*; do
  d=\${d##*/}; case $d in *[!0-9A-Za-z-]*) ;; *) printf 'R %s\\n' "$d" ;; esac
done
for f in "$1"/.slipway/incoming/*.tar.gz; do if [ -f "$f" ]; then printf 'I %s\\n' "\${f##*/}"; fi; done
echo J
if [ -e "$1/.slipway/journal.jsonl" ]; then cat -- "$1/.slipway/journal.jsonl"; fi`;

/**
 * A function: \`take_lock ROOT OWNER\` writes the owner file into the lock directory just made. When the disk refuses
 * (full, read-only, I/O error), the directory goes too: a lock without its owner would hold every later run off
 * until someone removed it by hand.
 */
const TAKE_LOCK = `take_lock() {
  printf '%s\\n' "$2" > "$1/.slipway/lock.d/owner.json" && sync -- "$1/.slipway/lock.d/owner.json" && return 0
  rm -rf -- "$1/.slipway/lock.d"
  echo "cannot write $1/.slipway/lock.d/owner.json (a full or read-only disk?): the lock was not taken" >&2
  return 1
}`;

/**
 * A function: \`unlock ROOT RUN\` removes the lock only when run RUN owns it (or its owner file is gone). The lock
 * directory is first renamed away in one rename(2), then removed: an install of that run (its staging dir is inside
 * the lock directory, see INSTALL) can no longer rename its release into releases/ from the moment of that rename —
 * never a half-removed tree. Returns non-zero when the lock is still there.
 */
const UNLOCK = `unlock() {
  ul_o="$1/.slipway/lock.d/owner.json"
  [ -d "$1/.slipway/lock.d" ] || return 0
  ul_m=; if [ -f "$ul_o" ]; then
    while IFS= read -r ul_l || [ -n "$ul_l" ]; do case $ul_l in *"\\"run\\":\\"$2\\""*) ul_m=1 ;; esac; done < "$ul_o"
  else ul_m=1; fi
  [ -n "$ul_m" ] || return 0
  ul_g="$1/.slipway/lock.gone-$$"
  if mv -T -- "$1/.slipway/lock.d" "$ul_g" 2>/dev/null; then rm -rf -- "$ul_g"; elif [ -d "$1/.slipway/lock.d" ]; then return 1; fi
}`;

/** A function: \`upload_state FILE\` prints "<sha256> <size of FILE.part>" ("none" when the file is absent). */
const UPLOAD_STATE = `upload_state() {
  if [ -f "$1" ]; then s=$(sha256sum -- "$1"); printf '%s ' "\${s%% *}"; else printf 'none '; fi
  if [ -f "$1.part" ]; then stat -c %s -- "$1.part"; else echo 0; fi
}`;

/**
 * A function, the one rule for writing a host's journal: `journal_append J AT HAVE N LINE…` appends N lines to the
 * journal J and fsyncs it, first ending a torn last line (a controller or host killed mid-write leaves one without
 * its newline), so that it stays alone on its line and the next line is whole. AT: J's size in bytes when the
 * controller knows a line ends there (what it read under the lock plus its own appends), else empty; J of exactly that
 * size is not read (one `stat`, where reading its last byte takes three processes): a journal no one else wrote
 * since is as the controller read it, and one another process wrote is read. HAVE: J's size when the caller has just
 * read it (`finish`), else empty. Returns non-zero when J cannot be written. Its variables are prefixed (sh has no
 * locals).
 */
const JOURNAL_APPEND = `journal_append() {
  ja_j=$1; ja_at=$2; ja_have=$3; ja_n=$4; shift 4
  if [ -s "$ja_j" ] && { [ -z "$ja_at" ] || [ "\${ja_have:-$(stat -c %s -- "$ja_j")}" != "$ja_at" ]; } &&
      [ "$(tail -c 1 -- "$ja_j" | wc -l)" -eq 0 ]; then printf '\\n' >> "$ja_j" || return 1; fi
  while [ "$ja_n" -gt 0 ]; do printf '%s\\n' "$1" >> "$ja_j" || return 1; shift; ja_n=$((ja_n - 1)); done
  sync -- "$ja_j"
}`;

/**
 * Put in front of another script (`withJournalPrelude`): $1 journal, $2 N, $3 AT (as `journal_append`), then N
 * journal lines, appended and fsync'd BEFORE the script's own work, which then sees its own arguments as $1… . A
 * journal that cannot be written stops the script before it does anything (exit 90, JOURNAL_FAILED on stderr).
 */
const JOURNAL_PRELUDE = `j=$1; n=$2; at=$3; shift 3
if [ "$n" -gt 0 ]; then
  journal_append "$j" "$at" '' "$n" "$@" || { echo "JOURNAL_FAILED: cannot append to $j" >&2; exit 90; }
  shift "$n"
fi`;

const INSTALL = `root=$1; id=$2; sha=$3; run=$4; shift 4
cd -P -- "$root" || exit 3
top=$PWD
umask 022 # the release as packaged (0644/0755, as a local target's): readable by a runAs user; .slipway stays 077
pkg=".slipway/incoming/$sha.tar.gz"
if [ -n "$run" ]; then st=".slipway/lock.d/stage-$id"; else st="releases/.staging-$id"; fi
fail() { echo "$1" >&2; cd -- "$top" && rm -rf -- "$st"; exit "$2"; }
# A cut connection (the controller gone, or its sshd session killed) must not leave a release promoted that the
# controller reported as not installed, nor the install running on after the run released the lock: the controller
# is asked whether it still listens — a line on stdout, which fails (EPIPE: SIGPIPE is ignored, so the script
# goes on to clean up) once nothing reads it — after the extraction and right before the rename.
trap '' PIPE
alive() { printf '%s\n' "$1" 2>/dev/null || fail "the connection was cut: $st removed, releases/$id not installed" 10; }
# That line is not enough when the host's sshd never learns of the cut (a partition: its pipes still take a line):
# the release is published only while the host's lock still names this run, the controller-side lease. The
# controller gives the lock back (or a later run of it takes it over as stale) only after it has journaled the
# install as failed. The check is the rename itself: with a run, the staging dir lives inside the lock directory
# (.slipway/lock.d/stage-<id>), and an unlock renames lock.d away in one rename(2) before removing it (\`unlock\`),
# so the rename into releases/ finds its source only while this run's lock directory is there — one system call,
# where a check of owner.json and then a rename were two (an unlock between them let the release in). A lock another
# run took since is a new directory without this staging dir. \`lease\` is the early, readable refusal.
lease() {
  [ -z "$run" ] && return 0
  l=; if [ -f .slipway/lock.d/owner.json ]; then
    while IFS= read -r o || [ -n "$o" ]; do case $o in *"\\"run\\":\\"$run\\""*) l=1 ;; esac; done < .slipway/lock.d/owner.json
  fi
  [ -n "$l" ] || fail "this run no longer holds the host's lock (its controller gave up on it): $st removed, releases/$id not installed" 10
}
lease
[ -e "releases/$id" ] && fail "releases/$id already exists" 8
if [ -e "$st" ] || [ -L "$st" ]; then rm -rf -- "$st" || exit 3; fi
mkdir -- "$st" || exit 3
tar --no-same-owner --no-same-permissions --no-overwrite-dir -xzf "$pkg" -C "$st" >&2 || fail "tar could not extract $pkg" 4
alive extracted
cd -P -- "$st" || fail "cannot enter $st" 3
abs=$PWD
cd -- "$top" || exit 3
nl='
'
# One pass: B <path> an unsafe entry (not a file, dir or link; setuid/setgid/sticky; world-writable; a newline in its
# name), L <path> a link (counted, and resolved below), F a file other than SHA256SUMS.
out=$(find "$st" \\( \\( ! -type f ! -type d ! -type l \\) -o -perm /7000 -o \\( -perm -0002 ! -type l \\) -o -name "*$nl*" \\) -printf 'B%p\\n' -o -type l -printf 'L%p\\n' -o -type f ! -path "$st/SHA256SUMS" -printf 'F\\n')
files=0; bad=; nbad=0; links=
set -f; IFS=$nl
for l in $out; do
  case $l in
    F) files=$((files + 1)) ;;
    L*) [ "$l" = "L$st/SHA256SUMS" ] || files=$((files + 1)); links="$links$nl\${l#L}" ;;
    B*) if [ "$nbad" -lt 20 ]; then bad="$bad$nl\${l#B}"; nbad=$((nbad + 1)); fi ;;
  esac
done
if [ -z "$bad" ] && [ -n "$links" ]; then
  for l in $links; do
    if [ "$nbad" -lt 20 ]; then
      t=$(realpath -m -- "$l"); case "$t" in "$abs"/*) ;; *) bad="$bad$nl$l -> $t"; nbad=$((nbad + 1)) ;; esac
    fi
  done
fi
unset IFS; set +f
[ -n "$bad" ] && fail "unsafe entries after extraction: \${bad#"$nl"}" 5
cd -- "$st" || fail "cannot enter $st" 3
sha256sum --quiet --strict -c SHA256SUMS >&2; r=$?
cd -- "$top" || exit 3
[ "$r" -eq 0 ] || fail "SHA256SUMS does not match the extracted files" 6
listed=$(grep -c . "$st/SHA256SUMS")
[ "$listed" -eq "$files" ] || fail "$files files extracted but SHA256SUMS lists $listed" 6
while [ $# -ge 2 ]; do
  d="$st/$1"; d=\${d%/*}
  { [ -d "shared/$1" ] || mkdir -p -- "shared/$1"; } && { if [ -e "$st/$1" ] || [ -L "$st/$1" ]; then rm -rf -- "$st/$1"; fi; } &&
    { [ -d "$d" ] || mkdir -p -- "$d"; } && ln -s -- "$2" "$st/$1" || fail "cannot link shared path $1" 3
  shift 2
done
# On disk before the rename: syncfs(2) of the file systems holding the release and shared/ (what a global sync did
# for them, without flushing every other file system of the host); a sync without -f falls back to that.
sync -f -- "$st" shared 2>/dev/null || sync
alive verified
lease
if ! mv -T -- "$st" "releases/$id"; then
  [ -d "$st" ] && fail "cannot rename into releases/$id" 3
  fail "this run no longer holds the host's lock (it was given back while the release was checked): releases/$id not installed" 10
fi
sync -- releases 2>/dev/null || sync
echo "$files"`;

/**
 * With $4 set, current must be the link whose text is $5 (empty: no current), else its text goes to stdout and the
 * script exits 12 (CURRENT_CHANGED) before changing anything. Run in the root.
 */
const CURRENT_IS = `if [ -n "$4" ]; then
  c=; if [ -L current ]; then c=$(readlink -- current) || exit 3; elif [ -e current ]; then c='(not a link)'; fi
  if [ "$c" != "$5" ]; then printf '%s\\n' "$c"; exit 12; fi
fi`;

/**
 * Seconds a remote command may run past its local timeout before its host ends it (\`boundedArgv\`): the local
 * timeout fires first while the controller lives; this bound is for a controller that died (or lost the connection)
 * while the command ran, whose command would otherwise run on, on the host, to its end.
 */
export const REMOTE_GRACE_S = 5;
/** Seconds between the host's TERM and its KILL of a command over its bound. */
const REMOTE_KILL_AFTER_S = 5;

/**
 * $1 seconds, then a command's argv: runs it bounded on the host. With \`timeout\` (coreutils, which the hosts have
 * for sha256sum, mv -T, realpath): \`timeout -k\`, which ends the command's process group (TERM, then KILL).
 * Without it, the documented fallback in sh: the command in the background, a watchdog that sends TERM and then KILL
 * to this process group (sshd makes each session's command a process group of its own, setsid(2), so that is exactly
 * this command and what it started; a daemon that made itself a session of its own is not in it, as with timeout)
 * and is stopped (with its sleep) when the command ends first. Either way the exit status is the command's, and
 * stdin is passed on (an upload's bytes).
 */
const BOUND = `t=$1; shift
if command -v timeout >/dev/null 2>&1; then exec timeout -k ${REMOTE_KILL_AFTER_S} "$t" "$@"; fi
exec 3<&0
"$@" <&3 3<&- &
c=$!
exec 3<&-
( trap 'kill "$s" 2>/dev/null; exit 0' USR1; sleep "$t" & s=$!; trap '' TERM; wait "$s" || exit 0
  trap '' USR1; kill -TERM 0; sleep ${REMOTE_KILL_AFTER_S}; kill -KILL 0 ) >/dev/null 2>&1 </dev/null &
w=$!
wait "$c"; r=$?
kill -USR1 "$w" 2>/dev/null
exit "$r"`;

/** \`argv\` bounded to \`seconds\` on the host (see BOUND): the argv to send instead (pure). */
export function boundedArgv(seconds: number, argv: readonly string[]): string[] {
  return ['sh', '-c', BOUND, 'sh', String(Math.max(1, Math.ceil(seconds))), ...argv];
}

/**
 * The command line ssh sends for \`argv\` bounded to \`seconds\` on the host (pure): the login shell itself execs
 * \`timeout -k\` when the host has it, else BOUND (boundedArgv), whose sh fallback bounds it without. The bound is
 * BOUND's either way; what goes is the \`sh\` that only chose between the two: one exec fewer on the host per
 * remote command (login shell → timeout → the command, where it was login shell → sh → timeout → the command; the
 * login shell and sh replace themselves, so the processes are the same, the execs one fewer). Built of nothing but
 * quote.ts's words, \`command -v\`, \`&&\`, \`||\` and \`exec\` (no \`set --\`, no \`"$@"\`), so any login shell that
 * read the former \`sh -c …\` line alike reads this one alike: the argv is written out in both branches.
 */
export function boundedCommandLine(seconds: number, argv: readonly string[]): string {
  const t = String(Math.max(1, Math.ceil(seconds)));
  return `command -v timeout >/dev/null 2>&1 && exec ${shJoin(['timeout', '-k', String(REMOTE_KILL_AFTER_S), t, ...argv])} || exec ${shJoin(boundedArgv(seconds, argv))}`;
}

/** The exit code of \`switch\` and \`clearCurrent\` when current was not what the caller expected. */
export const CURRENT_CHANGED = 12;

/** The exit code and stderr marker of a failed JOURNAL_PRELUDE. */
export const JOURNAL_FAILED = { code: 90, marker: 'JOURNAL_FAILED' } as const;

/**
 * `script` (one of SCRIPTS) with JOURNAL_PRELUDE in front: its arguments become journal, N, AT, the N lines, then
 * the script's own. `journal_append` is defined once, even when the script uses it too (`append`, `finish`).
 */
export function withJournalPrelude(script: string): string {
  let body = script.startsWith(PRE) ? script.slice(PRE.length) : script;
  if (body.startsWith(`\n${JOURNAL_APPEND}`)) body = body.slice(JOURNAL_APPEND.length + 1);
  return `${PRE}\n${JOURNAL_APPEND}\n${JOURNAL_PRELUDE}${body}`;
}

export const SCRIPTS = {
  /** $1 root. Creates the layout and checks the tools the other scripts need. */
  prepare: `${PRE}
${PREPARE}`,

  /**
   * $1 root, $2 owner JSON, optionally $3 an uploaded archive's path (a deploy's): `prepare`, then one attempt at the
   * lock (as `lock`), then, when it was acquired, the state under it (as `state`); with $3, first "U" and what
   * `uploadState` prints for it, and "V <bytes>" then the bytes of current's version-compatibility.json (when there
   * is one). Prints "acquired" and the state, or "held" and the holder's owner file on one line. One round trip where
   * a deploy used to need prepare, lock, readlink, cat, ls, the live version's file and the upload state.
   */
  open: `${PRE}
${PREPARE} || exit 3
${TAKE_LOCK}
if mkdir -- "$1/.slipway/lock.d" 2>/dev/null; then
  take_lock "$1" "$2" || exit 3
  echo acquired
else
  echo held; tr -d '\\n' < "$1/.slipway/lock.d/owner.json" 2>/dev/null; echo; exit 0
fi
if [ -n "\${3:-}" ]; then
  v="$1/current/version-compatibility.json"
  if [ -f "$v" ]; then printf 'V %s\\n' "$(stat -c %s -- "$v")"; cat -- "$v"; echo; fi
${UPLOAD_STATE}
  printf 'U '; upload_state "$3"
fi
${STATE}`,

  /**
   * $1 root: "C <current link>", "R <entry>" per entry of releases/ named only with letters, digits and \`-\` (as
   * every release id is: a newline in a name cannot split the output), "I <name>" per uploaded archive in
   * .slipway/incoming, "J", then the journal's bytes.
   */
  state: `${PRE}
${STATE}`,

  /** $1 root, $2 owner JSON. mkdir is atomic: prints "acquired", or the holder's owner file and "held". */
  lock: `${PRE}
${TAKE_LOCK}
if mkdir -- "$1/.slipway/lock.d" 2>/dev/null; then
  take_lock "$1" "$2" || exit 3
  echo acquired
else
  cat -- "$1/.slipway/lock.d/owner.json" 2>/dev/null; echo; echo held
fi`,

  /** $1 root: "free", or "held" and the owner file (nothing after it when the owner file is missing or torn). */
  lockState: `${PRE}
if [ -d "$1/.slipway/lock.d" ]; then echo held; cat -- "$1/.slipway/lock.d/owner.json" 2>/dev/null; else echo free; fi`,

  /** $1 root, $2 run id: removes the lock only when that run owns it (UNLOCK). */
  unlock: `${PRE}
${UNLOCK}
unlock "$1" "$2" || exit 3`,

  /** $1 journal, $2 AT (as `journal_append`), $3 one line: appended, fsync'd. */
  append: `${PRE}
${JOURNAL_APPEND}
journal_append "$1" "$2" '' 1 "$3"`,

  /** Nothing: carries deferred journal lines (flushJournal). */
  noop: `${PRE}
:`,

  /** $1 file: its bytes, or nothing when it does not exist. */
  read: `${PRE}
if [ -e "$1" ]; then cat -- "$1"; fi`,

  /** $1 journal, $2 byte offset: the tail moves to journal.torn-<offset>, the journal is cut there. */
  setAside: `${PRE}
tail -c +"$(($2 + 1))" -- "$1" > "$1.torn-$2" && truncate -s "$2" -- "$1" && sync -- "$1"`,

  /** $1 link: its target, or nothing. */
  readlink: `${PRE}
readlink -- "$1" || true`,

  /** $1 dir: its entries. */
  list: `${PRE}
ls -1A -- "$1" 2>/dev/null || true`,

  /** $1 remote file: "<sha256> <size of $1.part>" ("none" when the file is absent). */
  uploadState: `${PRE}
${UPLOAD_STATE}
upload_state "$1"`,

  /** $1 remote file, $2 "append" or "new": stdin goes to $1.part. */
  uploadWrite: `${PRE}
mkdir -p -- "$(dirname -- "$1")"
if [ "$2" = append ]; then cat >> "$1.part"; else cat > "$1.part"; fi && sync -- "$1.part"`,

  /** $1 remote file, $2 expected sha256: $1.part becomes $1 when it matches, else it is removed (exit 7). */
  uploadCommit: `${PRE}
s=$(sha256sum -- "$1.part") || exit 7
if [ "\${s%% *}" = "$2" ]; then mv -f -- "$1.part" "$1" && sync -- "$1"; else rm -f -- "$1.part"; echo "digest \${s%% *}" >&2; exit 7; fi`,

  /**
   * $1 remote file, $2 "append" or "new", $3 the archive's size, then install's arguments ($4 root, $5 release id,
   * $6 sha256, $7 run, pairs): stdin goes to $1.part, which becomes $1 when its sha256 is $6 (else it is removed: exit 7),
   * then `install` — one round trip for uploadWrite, uploadCommit and install. A part shorter than the archive is an
   * upload cut short (the connection dropped: `cat` saw end of input): kept to resume from, never judged (exit 9).
   * Its size is read only when the digest does not match (a part with the archive's digest is the archive): one
   * process less per host on the way every upload takes.
   */
  uploadInstall: `${PRE}
f=$1; mode=$2; size=$3; shift 3
[ -d "\${f%/*}" ] || mkdir -p -- "\${f%/*}" || exit 3
if [ "$mode" = append ]; then cat >> "$f.part"; else cat > "$f.part"; fi || exit 3
s=$(sha256sum -- "$f.part") || exit 7
if [ "\${s%% *}" = "$3" ]; then mv -f -- "$f.part" "$f"
else
  n=$(stat -c %s -- "$f.part") || exit 3
  if [ "$n" -lt "$size" ]; then echo "upload cut short: $n of $size bytes, kept to resume from" >&2; exit 9; fi
  rm -f -- "$f.part"; echo "digest \${s%% *}" >&2; exit 7
fi
${INSTALL}`,

  /**
   * $1 root, $2 release id, $3 archive sha256, $4 the run holding the host's lock (empty: not checked), then pairs
   * (shared path, relative link target). Extracts into
   * releases/.staging-<id> (no owners, no modes from the archive), refuses devices, fifos, sockets, setuid/setgid/
   * sticky or world-writable entries and links that resolve outside the tree, checks every SHA256SUMS line and that
   * it lists every file, links the shared paths, then renames into releases/<id> — only while the lock's owner file
   * names run $4 (else exit 10, staging removed). Prints the file count.
   */
  install: `${PRE}
${INSTALL}`,

  /** $1 release dir: checks every SHA256SUMS line; prints the file count. */
  verify: `${PRE}
cd -- "$1" || { echo "no such release: $1" >&2; exit 3; }
sha256sum --quiet --strict -c SHA256SUMS >&2 || exit 6
grep -c . SHA256SUMS`,

  /**
   * $1 root, $2 release id, $3 temp link name, $4 "1" to compare first, $5 the link text current must hold then
   * (empty: no current): symlink to a temp name, then rename(2) over current (mv -T). With $4, a current that is
   * not $5 (another controller or a manual change since the run read it) is left alone: its link text on stdout,
   * exit 12. sh has no compare-and-swap of a link: the compare is right before the rename, and the host's lock keeps
   * every other Slipway run out, so what remains is a hand on the host racing these two commands.
   */
  switch: `${PRE}
cd -- "$1" || exit 3
[ -d "releases/$2" ] || { echo "releases/$2 is not installed" >&2; exit 3; }
${CURRENT_IS}
ln -s -- "releases/$2" "$3" && mv -T -- "$3" current && sync -- . 2>/dev/null || { rm -f -- "$3"; exit 3; }`,

  /** $1 root, then $2 $3 as \`switch\`'s $4 $5 (compare first: exit 12, current's link text on stdout). */
  clearCurrent: `${PRE}
cd -- "$1" || exit 0
set -- "$1" "$1" "$1" "\${2:-}" "\${3:-}"
${CURRENT_IS}
rm -f -- current && sync -- . 2>/dev/null; true`,

  /** $1 releases dir, $2 id: renamed out of the way first, so no half-deleted dir keeps a release id. */
  remove: `${PRE}
cd -- "$1" || exit 0
if [ -e "$2" ]; then mv -T -- "$2" ".trash-$2" || exit 3; fi
rm -rf -- ".trash-$2"`,

  /**
   * $1 cwd, $2 log file, $3 runAs user (empty: the login user), then K=V pairs, then the command argv. With a user:
   * `sudo -n -u USER -- env -i …` with that user's HOME, USER and LOGNAME; the log is written by the login user.
   */
  exec: `${PRE}
cd -- "$1" || { echo "cannot cd to $1"; exit 126; }
log=$2; u=$3; shift 3
mkdir -p -- "$(dirname -- "$log")"
if [ -n "$u" ]; then
  h=$(getent passwd "$u" | cut -d: -f6)
  sudo -n -u "$u" -- env -i PATH="$PATH" HOME="\${h:-/}" USER="$u" LOGNAME="$u" "$@" </dev/null >>"$log" 2>&1
else
  env -i PATH="$PATH" HOME="\${HOME:-/}" "$@" </dev/null >>"$log" 2>&1
fi
rc=$?
tail -n 8 -- "$log"
exit $rc`,

  /** $1 user: whether the login user may run commands as $1 without a password; says why not on stdout. */
  sudoCheck: `${PRE}
command -v sudo >/dev/null 2>&1 || { echo "the host has no sudo"; exit 3; }
getent passwd "$1" >/dev/null 2>&1 || { echo "no user $1 on the host"; exit 3; }
sudo -n -u "$1" -- true </dev/null >/dev/null 2>&1 || { echo "sudo -n -u $1 is not allowed for $(id -un) (a password is required or sudoers does not permit it)"; exit 3; }`,

  /**
   * $1 root, $2 journal, $3 the journal's expected size in bytes, $4 AT (as `journal_append`: $3, or empty when the
   * controller does not know that the journal ends a line there), $5 a run id (empty: none), $6 N, N release ids,
   * then M, M names of uploaded archives (.slipway/incoming/<sha256>.tar.gz), then journal lines. Only when the
   * journal is exactly $3 bytes long (nothing but this run wrote it since the controller read it): the releases are
   * removed (renamed out of the way first, as \`remove\`), then the archives, then the lines are appended and
   * fsync'd, then, with $5, the host's lock is given back when that run holds it (UNLOCK; exit 13 when it is still
   * there: everything before was done). A journal of another size removes nothing: "stale", exit 10. The end of a
   * host's deploy in one round trip (retention, archives, the run's closing lines, the lock), where it took five.
   */
  finish: `${PRE}
${JOURNAL_APPEND}
${UNLOCK}
root=$1; j=$2; want=$3; at=$4; un=$5; shift 5
have=0; if [ -e "$j" ]; then have=$(stat -c %s -- "$j") || exit 3; fi
if [ "$have" != "$want" ]; then echo stale; exit 10; fi
cd -- "$root" || exit 3
n=$1; shift
while [ "$n" -gt 0 ]; do
  if [ -e "releases/$1" ]; then mv -T -- "releases/$1" "releases/.trash-$1" || exit 3; fi
  rm -rf -- "releases/.trash-$1" || exit 3
  shift; n=$((n - 1))
done
n=$1; shift
while [ "$n" -gt 0 ]; do rm -f -- ".slipway/incoming/$1" || exit 3; shift; n=$((n - 1)); done
if [ $# -gt 0 ]; then journal_append "$j" "$at" "$have" $# "$@" || { echo "cannot append to $j" >&2; exit 11; }; fi
if [ -n "$un" ]; then unlock "$root" "$un" || { echo "cannot remove the lock $root/.slipway/lock.d" >&2; exit 13; }; fi`,

  /**
   * $1 root: removes staging dirs, trash, temp links and lock directories an unlock renamed away but did not finish
   * removing, which a crashed run left; prints what it removed.
   */
  clean: `${PRE}
cd -- "$1" || exit 0
for d in releases/.staging-* releases/.trash-* .current.tmp-* .slipway/lock.gone-*; do
  if [ -e "$d" ] || [ -L "$d" ]; then rm -rf -- "$d" && echo "$d"; fi
done`,
} as const;
