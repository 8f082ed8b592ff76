package dev.tandem.comparator.db;

import java.util.Locale;

/**
 * The SQL that turns a column's value into its canonical text, computed inside PostgreSQL, so that the two
 * databases agree on what equal means whatever their schemas: decimals as plain strings without exponent or
 * trailing zeros ({@code 19.50} and {@code 19.5}, {@code -0} and {@code 0} alike), timestamps as UTC instants to
 * the microsecond (a {@code timestamp} without zone is taken as UTC; the sessions run in UTC with the ISO date
 * style), JSON in jsonb's
 * normal form, bytes as hex; NULL stays apart from '' unless configured. Both sides are canonicalised by the
 * primary column's type, so a transform in the shadow only has to produce a comparable value.
 */
final class Canonical {

  /** Broad kinds of column type, as far as comparison cares. */
  enum Kind { NUMBER, FLOAT, TIMESTAMPTZ, TIMESTAMP, JSON, BYTES, TEXT, OTHER }

  private Canonical() {
  }

  /** @param dataType the type without modifiers, as {@code format_type(oid, NULL)} names it */
  static Kind kind(String dataType) {
    String t = dataType.toLowerCase(Locale.ROOT);
    return switch (t) {
      case "smallint", "integer", "bigint", "numeric", "decimal" -> Kind.NUMBER;
      case "real", "double precision" -> Kind.FLOAT;
      case "timestamp with time zone" -> Kind.TIMESTAMPTZ;
      case "timestamp without time zone" -> Kind.TIMESTAMP;
      case "json", "jsonb" -> Kind.JSON;
      case "bytea" -> Kind.BYTES;
      case "text", "character varying", "character", "name", "citext" -> Kind.TEXT;
      default -> Kind.OTHER;
    };
  }

  /** Canonical text of {@code expr}, or NULL. */
  static String text(String expr, Kind kind, boolean nullEqualsEmpty) {
    String e = "(" + expr + ")";
    return switch (kind) {
      case NUMBER -> "trim_scale(" + e + "::numeric)::text";
      // float8's text is its shortest exact form (0.1 + 0.2 stays 0.30000000000000004); -0 is 0
      case FLOAT -> "CASE WHEN " + e + "::float8 = 0 THEN '0' ELSE (" + e + "::float8)::text END";
      case TIMESTAMPTZ -> instant("(" + e + "::timestamptz AT TIME ZONE 'UTC')");
      case TIMESTAMP -> instant("(" + e + "::timestamp)");
      case JSON -> e + "::jsonb::text";
      case BYTES -> "encode(" + e + "::bytea, 'hex')";
      case TEXT -> nullEqualsEmpty ? "nullif(" + e + "::text, '')" : e + "::text";
      case OTHER -> e + "::text";
    };
  }

  /**
   * A UTC timestamp as PostgreSQL writes it in the ISO date style the sessions use ({@code 2026-01-01 10:00:00.5},
   * to the microsecond; {@code infinity}; {@code ... BC}): exact, and much cheaper than {@code to_char}.
   */
  private static String instant(String ts) {
    return ts + "::text";
  }

  /** One value as an unambiguous piece of a row's text: {@code N} for NULL, else {@code V<length>:<text>}. */
  static String piece(String canonical) {
    return "CASE WHEN " + canonical + " IS NULL THEN 'N' ELSE 'V' || length(" + canonical + ") || ':' || "
        + canonical + " END";
  }

  /** A column name quoted as an identifier; an expression is used as it is. */
  static String column(String nameOrExpr) {
    return isIdentifier(nameOrExpr) ? quote(nameOrExpr) : nameOrExpr;
  }

  static boolean isIdentifier(String s) {
    return s.matches("[A-Za-z_][A-Za-z0-9_$]*");
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** {@code schema.table} or {@code table}, quoted part by part. */
  static String table(String name) {
    int dot = name.indexOf('.');
    return dot < 0 ? quote(name) : quote(name.substring(0, dot)) + "." + quote(name.substring(dot + 1));
  }
}
