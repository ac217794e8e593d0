/** esbuild's `text` loader: a stylesheet imported into the banner bundle arrives as its source text. */
declare module '*.css' {
  const text: string;
  export default text;
}
