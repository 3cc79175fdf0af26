/**
 * A small XML well-formedness check for the chart tests: balanced, properly nested tags,
 * quoted attributes, no raw `<` or stray `&` in text.
 *
 * @module
 */

/**
 * Checks that `xml` is well-formed enough for an SVG viewer.
 *
 * @param xml The document.
 * @returns The problems found (empty when well-formed) and the element names seen.
 */
export function checkXml(xml: string): { errors: string[]; elements: string[] } {
  const errors: string[] = [];
  const elements: string[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let at = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(at, m.index);
    if (text.includes("<")) errors.push(`malformed tag near: ${text.slice(text.indexOf("<"), 60)}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) {
      errors.push(`stray & in: ${text.slice(0, 60)}`);
    }
    at = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close === "/") {
      const open = stack.pop();
      if (open !== name) errors.push(`</${name}> closes <${open}>`);
    } else {
      elements.push(name!);
      if (selfClose !== "/") stack.push(name!);
    }
  }
  if (body.slice(at).trim() !== "") errors.push(`trailing text: ${body.slice(at, at + 60)}`);
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(", ")}`);
  if (elements[0] !== "svg") errors.push(`root is <${elements[0]}>, not <svg>`);
  return { errors, elements };
}
