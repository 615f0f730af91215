// Writes the table of Unicode character names behind Java 17's `\N{name}` (Character.codePointOf, as Pattern reads
// it): src/data/java-char-names.txt.br, a Brotli-compressed text read only where a pattern uses `\N{`
// (src/db/changelog/java-char-names.ts; tools/bundle.mjs ships it as dist/data/). Every code point's
// Character.getName is asked of the JVM:
//   - a name of its own (UnicodeData's, from Java's uniName.dat): a line `gap name`, gap (base 36) from the last such
//     code point + 1;
//   - a name Java makes up as `<block name with spaces> <HEX>` (CJK ideographs, Hangul syllables, private use,
//     surrogates…): runs of code points in one block, a line `~gap,length,block name` (base 36, gap from the
//     previous run's end).
// Run with the JVM Liquibase runs on:
//   java tools/java-char-names.java | node -e "process.stdout.write(require('zlib').brotliCompressSync(require('fs')
//     .readFileSync(0), { params: { [require('zlib').constants.BROTLI_PARAM_QUALITY]: 11 } }))" \
//     > src/data/java-char-names.txt.br
import java.util.Locale;

public class JavaCharNames {
  public static void main(String[] args) {
    StringBuilder named = new StringBuilder();
    StringBuilder made = new StringBuilder();
    int lastNamed = -1;
    int runStart = -1, runEnd = -1, lastRunEnd = 0;
    String runBlock = null;
    for (int cp = 0; cp <= 0x110000; cp++) {
      String name = cp <= 0x10FFFF ? Character.getName(cp) : null;
      boolean madeUp = false;
      String blockName = null;
      if (name != null) {
        Character.UnicodeBlock block = Character.UnicodeBlock.of(cp);
        blockName = block == null ? null : block.toString().replace('_', ' ');
        String derived = block == null ? null : blockName + " " + Integer.toHexString(cp).toUpperCase(Locale.ROOT);
        madeUp = name.equals(derived);
        if (!madeUp) {
          named.append(Integer.toString(cp - lastNamed - 1, 36)).append(' ').append(name).append('\n');
          lastNamed = cp;
        }
      }
      if (madeUp && runStart >= 0 && runEnd == cp && blockName.equals(runBlock)) {
        runEnd = cp + 1;
        continue;
      }
      if (runStart >= 0) {
        made.append('~').append(Integer.toString(runStart - lastRunEnd, 36)).append(',')
            .append(Integer.toString(runEnd - runStart, 36)).append(',').append(runBlock).append('\n');
        lastRunEnd = runEnd;
        runStart = -1;
      }
      if (madeUp) {
        runStart = cp;
        runEnd = cp + 1;
        runBlock = blockName;
      }
    }
    System.out.print("# Java " + System.getProperty("java.version") + " Character.getName: tools/java-char-names.java\n");
    System.out.print(made);
    System.out.print(named);
  }
}
