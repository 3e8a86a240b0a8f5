/** A minimal ustar writer for `putArchive` (container uploads): regular files only, which is all uploads are. */
export function tarFiles(files: { path: string; content: Buffer; mode: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    const name = f.path.replace(/^\/+/, "");
    if (Buffer.byteLength(name) > 100) throw new Error(`upload path too long for the harness's tar writer: ${f.path}`);
    h.write(name, 0, 100, "utf8");
    h.write(f.mode.toString(8).padStart(7, "0") + "\0", 100, 8, "ascii");
    h.write("0000000\0", 108, 8, "ascii"); // uid
    h.write("0000000\0", 116, 8, "ascii"); // gid
    h.write(f.content.length.toString(8).padStart(11, "0") + "\0", 124, 12, "ascii");
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136, 12, "ascii");
    h.write("        ", 148, 8, "ascii"); // checksum placeholder: spaces while summing
    h.write("0", 156, 1, "ascii");
    h.write("ustar\0" + "00", 257, 8, "ascii");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    blocks.push(h, f.content, Buffer.alloc((512 - (f.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
