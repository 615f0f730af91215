/** Liquibase XML changelog text for tests: the 4.28 namespace and a changelog wrapper. */

/** The root attributes of a Liquibase 4.28 XML changelog: namespace, xsi and the dbchangelog-4.28.xsd location. */
export const LIQUIBASE_NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';

/**
 * An XML changelog holding `body` (changeSets, includes, preconditions…): the XML declaration on line 1, the root on
 * line 2 (with LIQUIBASE_NS and `rootAttrs`, e.g. ` logicalFilePath="x"`), the body from line 3.
 */
export function changelogXml(body: string, rootAttrs = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog ${LIQUIBASE_NS}${rootAttrs}>\n${body}\n</databaseChangeLog>\n`;
}
