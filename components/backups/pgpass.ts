/** Where the backup jobs' libpq finds the database password (PGPASSFILE): root's, 0600, as libpq demands. */
export const PGPASS_PATH = "/etc/shithub-backup/pgpass";

/** A pgpass field: `:` and `\` escaped with a backslash, as libpq reads them. */
const field = (text: string): string => text.replace(/[\\:]/g, "\\$&");

/**
 * A libpq URL split into the URL without its password, which may appear in argv (pg_dump's
 * last argument), and the pgpass line that supplies the password for exactly that host, port,
 * database and user.
 */
export function splitPassword(databaseUrl: string): { readonly url: string; readonly pgpass: string } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = "";
  const port = url.port === "" ? "5432" : url.port;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  const pgpass = `${field(url.hostname)}:${port}:${field(database)}:${field(decodeURIComponent(url.username))}:${field(password)}\n`;
  return { url: url.toString(), pgpass };
}
