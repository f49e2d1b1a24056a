// Opaque, versioned pagination cursors: base64url of "v1:<offset>".
export const encodeCursor = (offset: number) => Buffer.from(`v1:${offset}`).toString("base64url");

export function decodeCursor(cursor: string): number | null {
  if (cursor.length > 40) return null;
  const m = /^v1:(\d{1,6})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return m ? Number(m[1]) : null;
}
