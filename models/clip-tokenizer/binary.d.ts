// esbuild's `binary` loader (esbuild.mjs) embeds a `.gz` file in the bundle as its bytes.
declare module '*.gz' {
  const bytes: Uint8Array;
  export default bytes;
}
