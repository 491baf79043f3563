import { RESERVED_WORDS } from './dynamodb-reserved-words.js';
import {
  type AttributeValue,
  checkValue,
  DynamoDbValidationError,
  type Item,
  orderValues,
  typeOf,
  valuesEqual,
} from './dynamodb-values.js';

/**
 * DynamoDB condition and projection expressions for the local endpoint (local/dynamodb.ts): a
 * tokenizer, a recursive-descent parser and an evaluator, after the grammar of the Developer
 * Guide ("Condition and filter expressions, operators, and functions"):
 *
 *     condition ::= operand comparator operand | function | condition AND condition
 *                 | condition OR condition | NOT condition | ( condition )
 *     comparator ::= = | <> | < | <= | > | >=
 *     function ::= attribute_exists ( path ) | attribute_not_exists ( path )
 *     operand ::= path | :value
 *     path ::= element ( . element | [ n ] )*      element ::= name | #name
 *
 * with DynamoDB's precedence (comparisons, then NOT, then AND, then OR; AND, OR and NOT in any
 * case) and its checks: a reserved word as a bare name, a placeholder not defined, an operand type
 * a comparison cannot order. `BETWEEN`, `IN` and the functions `attribute_type`, `begins_with`,
 * `contains` and `size` are valid DynamoDB the project does not write: they are refused with a
 * ValidationException that says so, never evaluated as true.
 */

/** One step of a document path: an attribute or map key, or a list index. */
export type PathElement = { readonly name: string } | { readonly index: number };

export interface DocumentPath {
  readonly kind: 'path';
  readonly elements: readonly PathElement[];
  /** As written, for messages. */
  readonly text: string;
}

export type Operand = DocumentPath | { readonly kind: 'value'; readonly value: AttributeValue; readonly text: string };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { readonly kind: 'compare'; readonly comparator: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'attribute_exists' | 'attribute_not_exists'; readonly path: DocumentPath }
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly condition: Condition };

/**
 * The placeholders of one request (`ExpressionAttributeNames`, `ExpressionAttributeValues`) and
 * which of them its expressions used: DynamoDB refuses a request that defines one no expression uses.
 */
export class ExpressionPlaceholders {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(
    private readonly names: Readonly<Record<string, unknown>> | undefined,
    private readonly values: Readonly<Record<string, unknown>> | undefined,
  ) {
    if (names !== undefined && Object.keys(names).length === 0)
      throw new DynamoDbValidationError('ExpressionAttributeNames must not be empty');
    if (values !== undefined && Object.keys(values).length === 0) {
      throw new DynamoDbValidationError('ExpressionAttributeValues must not be empty');
    }
    for (const value of Object.values(values ?? {})) checkValue(value);
  }

  name(placeholder: string, expression: string): string {
    const name = this.names?.[placeholder];
    if (typeof name !== 'string') {
      throw invalid(expression, `An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`);
    }
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, expression: string): AttributeValue {
    const value = this.values?.[placeholder];
    if (value === undefined) {
      throw invalid(expression, `An expression attribute value used in expression is not defined; attribute value: ${placeholder}`);
    }
    this.usedValues.add(placeholder);
    return value as AttributeValue;
  }

  /** Throws when the request defines a placeholder none of its expressions used. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names ?? {}).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0) {
      throw new DynamoDbValidationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
    const unusedValues = Object.keys(this.values ?? {}).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length > 0) {
      throw new DynamoDbValidationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
  }
}

type ExpressionKind = 'ConditionExpression' | 'ProjectionExpression';

function invalid(expression: string, detail: string): DynamoDbValidationError {
  return new DynamoDbValidationError(`Invalid ${expression}: ${detail}`);
}

interface Token {
  readonly type: 'punct' | 'comparator' | 'name' | 'namePlaceholder' | 'valuePlaceholder' | 'number' | 'eof';
  readonly text: string;
}

const TOKEN = /\s*(?:(<>|<=|>=|[=<>])|([(),.[\]])|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+))/y;

function tokenize(text: string, expression: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(text);
    if (match === null) {
      const rest = text.slice(at).trimStart();
      throw invalid(expression, `Syntax error; token: "${rest[0]}", near: "${rest.slice(0, 8)}"`);
    }
    at = TOKEN.lastIndex;
    const [, comparator, punct, namePlaceholder, valuePlaceholder, name, number] = match;
    if (comparator !== undefined) tokens.push({ type: 'comparator', text: comparator });
    else if (punct !== undefined) tokens.push({ type: 'punct', text: punct });
    else if (namePlaceholder !== undefined) tokens.push({ type: 'namePlaceholder', text: namePlaceholder });
    else if (valuePlaceholder !== undefined) tokens.push({ type: 'valuePlaceholder', text: valuePlaceholder });
    else if (name !== undefined) tokens.push({ type: 'name', text: name });
    else tokens.push({ type: 'number', text: number as string });
  }
  tokens.push({ type: 'eof', text: '<EOF>' });
  return tokens;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const UNSERVED_FUNCTIONS = new Set(['attribute_type', 'begins_with', 'contains', 'size']);
const ORDERABLE = new Set(['S', 'N', 'B']);

class Parser {
  private position = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly expression: ExpressionKind,
    private readonly placeholders: ExpressionPlaceholders,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.position++;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.type === 'name' && token.text.toUpperCase() === keyword;
  }

  syntaxError(token = this.peek()): DynamoDbValidationError {
    const near = [this.tokens[this.position - 1]?.text, token.text].filter((t) => t !== undefined).join(' ');
    return invalid(this.expression, `Syntax error; token: "${token.text}", near: "${near}"`);
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text || (token.type !== 'punct' && token.type !== 'comparator')) throw this.syntaxError(token);
  }

  /** Consumes the punctuation `text` if it comes next. */
  accept(text: string): boolean {
    const token = this.peek();
    if (token.type !== 'punct' || token.text !== text) return false;
    this.next();
    return true;
  }

  end(): void {
    if (this.peek().type !== 'eof') throw this.syntaxError();
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword(this.peek(), 'NOT')) {
      this.next();
      return { kind: 'not', condition: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    const token = this.peek();
    if (token.type === 'punct' && token.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (token.type === 'name' && this.peek(1).text === '(' && !KEYWORDS.has(token.text.toUpperCase())) return this.call();
    const left = this.operand();
    const operator = this.peek();
    if (this.isKeyword(operator, 'BETWEEN') || this.isKeyword(operator, 'IN')) {
      throw invalid(this.expression, `the local DynamoDB endpoint does not serve the operator ${operator.text.toUpperCase()}`);
    }
    if (operator.type !== 'comparator') throw this.syntaxError(operator);
    this.next();
    const comparator = operator.text as Comparator;
    const right = this.operand();
    if (comparator !== '=' && comparator !== '<>') {
      for (const operand of [left, right]) {
        if (operand.kind === 'value' && !ORDERABLE.has(typeOf(operand.value))) {
          throw invalid(
            this.expression,
            `Incorrect operand type for operator or function; operator or function: ${comparator}, operand type: ${typeOf(operand.value)}`,
          );
        }
      }
    }
    return { kind: 'compare', comparator, left, right };
  }

  private call(): Condition {
    const name = this.next().text;
    if (UNSERVED_FUNCTIONS.has(name)) {
      throw invalid(this.expression, `the local DynamoDB endpoint does not serve the function ${name}`);
    }
    if (name !== 'attribute_exists' && name !== 'attribute_not_exists') {
      throw invalid(this.expression, `Invalid function name; function: ${name}`);
    }
    this.expect('(');
    const argument = this.operand();
    if (argument.kind !== 'path') {
      throw invalid(this.expression, `Operator or function requires a document path; operator or function: ${name}`);
    }
    if (this.peek().text === ',') {
      throw invalid(
        this.expression,
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: 2`,
      );
    }
    this.expect(')');
    return { kind: name, path: argument };
  }

  operand(): Operand {
    const token = this.peek();
    if (token.type === 'valuePlaceholder') {
      this.next();
      return { kind: 'value', value: this.placeholders.value(token.text, this.expression), text: token.text };
    }
    return this.path();
  }

  path(): DocumentPath {
    const elements: PathElement[] = [this.element()];
    let text = this.tokens[this.position - 1]?.text ?? '';
    for (;;) {
      const token = this.peek();
      if (token.type === 'punct' && token.text === '.') {
        this.next();
        elements.push(this.element());
        text += `.${this.tokens[this.position - 1]?.text}`;
      } else if (token.type === 'punct' && token.text === '[') {
        this.next();
        const index = this.next();
        if (index.type !== 'number') throw this.syntaxError(index);
        this.expect(']');
        elements.push({ index: Number(index.text) });
        text += `[${index.text}]`;
      } else {
        return { kind: 'path', elements, text };
      }
    }
  }

  private element(): PathElement {
    const token = this.next();
    if (token.type === 'namePlaceholder') return { name: this.placeholders.name(token.text, this.expression) };
    if (token.type !== 'name' || KEYWORDS.has(token.text.toUpperCase())) throw this.syntaxError(token);
    if (RESERVED_WORDS.has(token.text.toUpperCase())) {
      throw invalid(this.expression, `Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    }
    return { name: token.text };
  }
}

/** Parses a ConditionExpression; throws `DynamoDbValidationError` with DynamoDB's kind of message. */
export function parseCondition(text: string, placeholders: ExpressionPlaceholders): Condition {
  const tokens = tokenize(text, 'ConditionExpression');
  if (tokens.length === 1) throw invalid('ConditionExpression', 'The expression can not be empty;');
  const parser = new Parser(tokens, 'ConditionExpression', placeholders);
  const condition = parser.condition();
  parser.end();
  return condition;
}

/** Parses a ProjectionExpression: document paths separated by commas. */
export function parseProjection(text: string, placeholders: ExpressionPlaceholders): DocumentPath[] {
  const tokens = tokenize(text, 'ProjectionExpression');
  if (tokens.length === 1) throw invalid('ProjectionExpression', 'The expression can not be empty;');
  const parser = new Parser(tokens, 'ProjectionExpression', placeholders);
  const paths = [parser.path()];
  while (parser.accept(',')) paths.push(parser.path());
  parser.end();
  return paths;
}

/** The value at `path` in `item`, or undefined when any step of it is absent or of another type. */
export function valueAt(item: Item | undefined, path: DocumentPath): AttributeValue | undefined {
  let current: AttributeValue | undefined = item === undefined ? undefined : { M: item };
  for (const element of path.elements) {
    if (current === undefined) return undefined;
    if ('name' in element) current = (current.M as Item | undefined)?.[element.name];
    else current = (current.L as AttributeValue[] | undefined)?.[element.index];
  }
  return current;
}

/** Evaluates a parsed condition against the item as stored (undefined: no item with that key). */
export function evaluate(condition: Condition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case 'or':
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case 'not':
      return !evaluate(condition.condition, item);
    case 'attribute_exists':
      return valueAt(item, condition.path) !== undefined;
    case 'attribute_not_exists':
      return valueAt(item, condition.path) === undefined;
    case 'compare': {
      const left = condition.left.kind === 'value' ? condition.left.value : valueAt(item, condition.left);
      const right = condition.right.kind === 'value' ? condition.right.value : valueAt(item, condition.right);
      // An absent operand equals nothing and differs from everything, and orders with nothing.
      if (left === undefined || right === undefined) return condition.comparator === '<>';
      if (condition.comparator === '=') return valuesEqual(left, right);
      if (condition.comparator === '<>') return !valuesEqual(left, right);
      const order = orderValues(left, right);
      if (order === undefined) return false;
      switch (condition.comparator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
  }
}

/**
 * The item reduced to the projected paths, as GetItem answers with a ProjectionExpression:
 * top-level attributes and map members (nested maps keep only the projected members). A list
 * index in a projection is refused (the project never projects into a list).
 */
export function project(item: Item, paths: readonly DocumentPath[]): Item {
  const key = (element: PathElement) => ('name' in element ? `.${element.name}` : `[${element.index}]`);
  for (const [i, one] of paths.entries()) {
    for (const two of paths.slice(i + 1)) {
      const [shorter, longer] = one.elements.length <= two.elements.length ? [one, two] : [two, one];
      if (shorter.elements.every((element, j) => key(element) === key(longer.elements[j] as PathElement))) {
        throw invalid(
          'ProjectionExpression',
          `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${one.text}], path two: [${two.text}]`,
        );
      }
    }
  }
  const result: Record<string, AttributeValue> = {};
  for (const path of paths) {
    if (path.elements.some((element) => 'index' in element)) {
      throw invalid('ProjectionExpression', `the local DynamoDB endpoint does not serve list indexes in projections: ${path.text}`);
    }
    const value = valueAt(item, path);
    if (value === undefined) continue;
    const names = path.elements.map((element) => (element as { name: string }).name);
    let target = result;
    for (const name of names.slice(0, -1)) {
      const existing = target[name];
      const map: Record<string, AttributeValue> = existing === undefined ? {} : (existing.M as Record<string, AttributeValue>);
      target[name] = { M: map };
      target = map;
    }
    target[names[names.length - 1] as string] = value;
  }
  return result;
}
