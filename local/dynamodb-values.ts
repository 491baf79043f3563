/**
 * DynamoDB attribute values for the local endpoint (local/dynamodb.ts), as the Developer Guide
 * describes them: which shapes are valid, how numbers compare (numerically, up to 38 significant
 * digits, never through a float), how values are equal, and how large an item is.
 */

/** An AttributeValue as AWS JSON carries it: exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS. */
export type AttributeValue = Readonly<Record<string, unknown>>;
export type Item = Readonly<Record<string, AttributeValue>>;

/** A request DynamoDB refuses as invalid (ValidationException, 400), with DynamoDB's message. */
export class DynamoDbValidationError extends Error {
  override readonly name = 'ValidationException';
}

const TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1_024;

/** The one type key of a value (`S`, `N`, …). The value must have been checked by `checkValue`. */
export function typeOf(value: AttributeValue): string {
  return Object.keys(value)[0] as string;
}

/** Throws `DynamoDbValidationError` when `value` is not an AttributeValue DynamoDB accepts. */
export function checkValue(value: unknown): asserts value is AttributeValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DynamoDbValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    throw new DynamoDbValidationError('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  if (keys.length > 1) {
    throw new DynamoDbValidationError(
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  }
  const type = keys[0] as string;
  const content = (value as Record<string, unknown>)[type];
  if (!TYPES.has(type)) {
    throw new DynamoDbValidationError(`Supplied AttributeValue has an unknown datatype: ${type}`);
  }
  const fail = (what: string): never => {
    throw new DynamoDbValidationError(`One or more parameter values were invalid: ${what}`);
  };
  switch (type) {
    case 'S':
      if (typeof content !== 'string') fail('S must be a string');
      return;
    case 'N':
      if (typeof content !== 'string') fail('N must be a string');
      parseNumber(content as string);
      return;
    case 'B':
      if (typeof content !== 'string' || !isBase64(content)) fail('B must be base64-encoded');
      return;
    case 'BOOL':
      if (typeof content !== 'boolean') fail('BOOL must be true or false');
      return;
    case 'NULL':
      if (content !== true) fail('Null attribute value types must have the value of true');
      return;
    case 'M':
      if (typeof content !== 'object' || content === null || Array.isArray(content)) fail('M must be a map');
      for (const member of Object.values(content as object)) checkValue(member);
      return;
    case 'L':
      if (!Array.isArray(content)) fail('L must be a list');
      for (const member of content as unknown[]) checkValue(member);
      return;
    default: {
      // SS, NS, BS: non-empty, without duplicates (numbers compared as numbers).
      if (!Array.isArray(content) || content.length === 0) fail(`An ${type} set may not be empty`);
      const members = content as unknown[];
      if (members.some((m) => typeof m !== 'string')) fail(`${type} members must be strings`);
      if (type === 'NS') for (const m of members) parseNumber(m as string);
      if (type === 'BS' && members.some((m) => !isBase64(m as string))) fail('BS members must be base64-encoded');
      const canonical = members.map((m) => (type === 'NS' ? canonicalNumber(m as string) : (m as string)));
      if (new Set(canonical).size !== canonical.length) fail(`Input collection [${members.join(', ')}] contains duplicates.`);
    }
  }
}

function isBase64(text: string): boolean {
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text);
}

/** A number as DynamoDB holds it: sign, significant digits (no leading or trailing zero), and `exponent` such that value = 0.<digits> × 10^exponent. Zero has no digits. */
interface DecimalNumber {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: number;
}

/** Parses an N string as DynamoDB does: decimal, optional exponent, at most 38 significant digits, magnitude within 1E-130 … 9.99…E+125. */
export function parseNumber(text: string): DecimalNumber {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (match === null || `${match[2]}${match[3] ?? ''}` === '') {
    throw new DynamoDbValidationError(`The parameter cannot be converted to a numeric value: ${text}`);
  }
  const integer = match[2] ?? '';
  const fraction = match[3] ?? '';
  const all = `${integer}${fraction}`;
  const firstNonZero = all.search(/[1-9]/);
  if (firstNonZero === -1) return { negative: false, digits: '', exponent: 0 };
  const digits = all.slice(firstNonZero).replace(/0+$/, '');
  const exponent = integer.length - firstNonZero + Number(match[4] ?? '0');
  if (digits.length > 38) {
    throw new DynamoDbValidationError('Attempting to store more than 38 significant digits in a Number');
  }
  // 9.99…E+125 is 0.999… × 10^126; 1E-130 is 0.1 × 10^-129.
  if (exponent > 126) {
    throw new DynamoDbValidationError('Number overflow. Attempting to store a number with magnitude larger than supported range');
  }
  if (exponent < -129) {
    throw new DynamoDbValidationError('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  }
  return { negative: match[1] === '-', digits, exponent };
}

function canonicalNumber(text: string): string {
  const { negative, digits, exponent } = parseNumber(text);
  return `${negative ? '-' : ''}${digits}e${exponent}`;
}

/** Compares two N strings numerically: negative, zero or positive. */
export function compareNumbers(a: string, b: string): number {
  const x = parseNumber(a);
  const y = parseNumber(b);
  const sign = (n: DecimalNumber) => (n.digits === '' ? 0 : n.negative ? -1 : 1);
  if (sign(x) !== sign(y)) return sign(x) - sign(y);
  if (sign(x) === 0) return 0;
  let magnitude: number;
  if (x.exponent !== y.exponent) magnitude = x.exponent - y.exponent;
  else {
    const width = Math.max(x.digits.length, y.digits.length);
    const dx = x.digits.padEnd(width, '0');
    const dy = y.digits.padEnd(width, '0');
    magnitude = dx === dy ? 0 : dx < dy ? -1 : 1;
  }
  return sign(x) * Math.sign(magnitude);
}

/**
 * Orders two values as a comparison operator (`<`, `<=`, `>`, `>=`) does: S by UTF-8 bytes, N
 * numerically, B by unsigned bytes; `undefined` when they cannot be ordered (other types, or two
 * different types), which makes the comparison false.
 */
export function orderValues(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'S') return Buffer.compare(Buffer.from(a.S as string, 'utf8'), Buffer.from(b.S as string, 'utf8'));
  if (type === 'N') return compareNumbers(a.N as string, b.N as string);
  if (type === 'B') return Buffer.compare(Buffer.from(a.B as string, 'base64'), Buffer.from(b.B as string, 'base64'));
  return undefined;
}

/** Whether two values are equal as DynamoDB's `=` decides: the same type and value, numbers numerically, sets in any order. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'S':
    case 'B':
    case 'N':
      return orderValues(a, b) === 0;
    case 'BOOL':
    case 'NULL':
      return a[type] === b[type];
    case 'L': {
      const x = a.L as AttributeValue[];
      const y = b.L as AttributeValue[];
      return x.length === y.length && x.every((member, i) => valuesEqual(member, y[i] as AttributeValue));
    }
    case 'M': {
      const x = a.M as Item;
      const y = b.M as Item;
      const keys = Object.keys(x);
      return keys.length === Object.keys(y).length && keys.every((k) => y[k] !== undefined && valuesEqual(x[k] as AttributeValue, y[k]));
    }
    default: {
      const member = type === 'NS' ? canonicalNumber : type === 'BS' ? (m: string) => Buffer.from(m, 'base64').toString('hex') : String;
      const x = new Set((a[type] as string[]).map(member));
      const y = new Set((b[type] as string[]).map(member));
      return x.size === y.size && [...x].every((m) => y.has(m));
    }
  }
}

/**
 * An item's size as DynamoDB counts it against the 400 KB limit (Developer Guide, "Item sizes and
 * formats"): names and strings in UTF-8 bytes, binaries in raw bytes, a number 1 byte per two
 * significant digits plus 1, BOOL and NULL 1 byte, a list or map 3 bytes plus 1 per element.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  const type = typeOf(value);
  const content = value[type];
  switch (type) {
    case 'S':
      return Buffer.byteLength(content as string, 'utf8');
    case 'N':
      return numberSize(content as string);
    case 'B':
      return Buffer.from(content as string, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (content as AttributeValue[]).reduce((sum, member) => sum + 1 + valueSize(member), 0);
    case 'M':
      return (
        3 +
        Object.entries(content as Item).reduce((sum, [name, member]) => sum + 1 + Buffer.byteLength(name, 'utf8') + valueSize(member), 0)
      );
    case 'SS':
      return (content as string[]).reduce((sum, m) => sum + Buffer.byteLength(m, 'utf8'), 0);
    case 'NS':
      return (content as string[]).reduce((sum, m) => sum + numberSize(m), 0);
    default:
      return (content as string[]).reduce((sum, m) => sum + Buffer.from(m, 'base64').length, 0);
  }
}

function numberSize(text: string): number {
  return Math.ceil(parseNumber(text).digits.length / 2) + 1;
}
