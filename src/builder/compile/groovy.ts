import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import which from 'which';
import type { SyntaxProblem } from './position.js';
import { resolveDependency } from '../../package-root.js';

/**
 * Runs inside one JVM for all files: compiles each file with Groovy's CompilationUnit up to the CONVERSION phase
 * (parse + AST building, where Groovy reports syntax errors) and prints one tab-separated line per verdict.
 * Parse only: classes are not resolved before SEMANTIC_ANALYSIS, so imports of classes that are not on this
 * classpath are fine; and the global @Grab transformation, which would run at CONVERSION and download (or, without
 * Ivy on the classpath, fail with NoClassDefFoundError: org/apache/ivy/util/MessageLogger), is disabled.
 */
const PARSE_SCRIPT = String.raw`
import org.codehaus.groovy.control.*
import org.codehaus.groovy.control.messages.*
def clean = { String s -> s == null ? '' : s.replaceAll('[\\t\\r\\n]+', ' ') }
System.in.withReader('UTF-8') { r ->
  r.eachLine { f ->
    if (!f) return
    def cc = new CompilerConfiguration(sourceEncoding: 'UTF-8', tolerance: 0)
    cc.disabledGlobalASTTransformations = ['groovy.grape.GrabAnnotationTransformation'] as Set
    def cu = new CompilationUnit(cc)
    cu.addSource(new File(f))
    try {
      cu.compile(Phases.CONVERSION)
      println 'OK\t' + f
    } catch (MultipleCompilationErrorsException e) {
      e.errorCollector.errors.each { m ->
        if (m instanceof SyntaxErrorMessage) {
          def s = m.cause
          println 'ERR\t' + f + '\t' + s.line + '\t' + s.startColumn + '\t' + clean(s.originalMessage)
        } else if (m instanceof ExceptionMessage) {
          println 'ERR\t' + f + '\t1\t1\t' + clean(m.cause.toString())
        } else {
          println 'ERR\t' + f + '\t1\t1\t' + clean(m.toString())
        }
      }
    } catch (Throwable t) {
      println 'ERR\t' + f + '\t1\t1\t' + clean(t.toString())
    }
    System.out.flush()
  }
}
`;

export interface GroovyRuntime {
  java: string;
  classpath: string;
  /** e.g. `groovy-4.0.26`, part of the cache key. */
  version: string;
}

/** npm-groovy-lint bundles Groovy 4; find its groovy-<v>.jar (or use the configured classpath). */
export function findGroovyJar(classpath?: string): { classpath: string; version: string } | null {
  if (classpath) return { classpath, version: path.basename(classpath.split(path.delimiter)[0] ?? classpath, '.jar') };
  let main: string;
  try {
    main = resolveDependency('npm-groovy-lint');
  } catch {
    return null;
  }
  const lib = path.join(path.dirname(main), 'java', 'groovy', 'lib');
  if (!existsSync(lib)) return null;
  const jar = readdirSync(lib).find((f) => /^groovy-\d+\.\d+\.\d+\.jar$/.test(f));
  return jar ? { classpath: path.join(lib, jar), version: jar.replace(/\.jar$/, '') } : null;
}

/** Java from JAVA_HOME or PATH plus the Groovy jar; a reason when either is missing. */
export async function findGroovyRuntime(
  env: NodeJS.ProcessEnv,
  classpath?: string,
): Promise<GroovyRuntime | { missing: string }> {
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : null;
  const java =
    fromHome && existsSync(fromHome) ? fromHome : await which('java', { nothrow: true, path: env.PATH ?? '' });
  if (!java) return { missing: 'java not found (JAVA_HOME or PATH)' };
  const jar = findGroovyJar(classpath);
  if (!jar)
    return { missing: "Groovy jar not found (npm-groovy-lint's bundled Groovy, or build.compile.groovy.classpath)" };
  return { java, ...jar };
}

/** Parses every file in one JVM start; returns problems with project-relative paths. */
export function validateGroovyFiles(
  runtime: GroovyRuntime,
  files: { sourcePath: string; absPath: string }[],
  timeoutMs: number,
): Promise<{ problems: SyntaxProblem[]; ok: Set<string> }> {
  const byAbs = new Map(files.map((f) => [f.absPath, f.sourcePath]));
  return new Promise((resolve, reject) => {
    // Client JIT + serial GC: a short-lived parse run starts in about a second instead of two or three.
    const child = spawn(
      runtime.java,
      [
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-Xss4m',
        '-Dfile.encoding=UTF-8',
        '-cp',
        runtime.classpath,
        'groovy.ui.GroovyMain',
        '-e',
        PARSE_SCRIPT,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const problems: SyntaxProblem[] = [];
      const ok = new Set<string>();
      for (const line of out.split('\n')) {
        const [kind, abs, l, c, ...msg] = line.split('\t');
        const file = abs === undefined ? undefined : byAbs.get(abs);
        if (!file) continue;
        if (kind === 'OK') ok.add(file);
        else if (kind === 'ERR')
          problems.push({ file, line: Number(l) || 1, column: Number(c) || 1, message: msg.join(' ') });
      }
      const answered = new Set([...ok, ...problems.map((p) => p.file)]);
      if (code !== 0 || answered.size < files.length) {
        const why = signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit code ${code}`;
        reject(
          new Error(`Groovy parser run failed: ${why}; ${answered.size}/${files.length} files answered. ${err.trim()}`),
        );
        return;
      }
      resolve({ problems, ok });
    });
    child.stdin.end(files.map((f) => f.absPath).join('\n') + '\n');
  });
}
