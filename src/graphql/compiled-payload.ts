import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNullableType,
  getOperationAST,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/**
 * The root resolver of a subscription whose event is its payload (`resolve: subscriptionPayload`):
 * the one root resolver {@link compilePayload} can see through, since it knows what it does.
 */
export function subscriptionPayload<T>(event: T): T {
  return event;
}

/**
 * What a compiled payload returns for an event it cannot render exactly as `execute` would (a
 * null in a non-null field, a value its scalar refuses, a function where a value was expected):
 * the caller executes that event instead, and gets graphql-js's own answer and errors.
 */
export const NOT_COMPILED = Symbol('not compiled');

/** Renders the JSON of `{ data }` for one subscription event, or {@link NOT_COMPILED}. */
export type CompiledPayload = (event: unknown) => string | typeof NOT_COMPILED;

/** Renders one value of a selection as JSON, or {@link NOT_COMPILED}. */
type Render = (source: unknown) => string | typeof NOT_COMPILED;

/**
 * Compiles the subscription of `document` into a function from an event to the JSON of the
 * `ExecutionResult` that `execute({ rootValue: event })` would give, byte for byte, without
 * executing anything: the live timer renders each session's tick once per distinct document
 * and sends it to thousands of sockets, and graphql-js's `execute` (collecting fields, building
 * and completing a result object) is most of what a tick would otherwise cost.
 *
 * Only what can be rendered without running user code is compiled; anything else returns
 * `undefined` and is executed as before:
 * - the operation is a subscription whose root field resolves with {@link subscriptionPayload};
 * - below it, fields without resolvers of their own (graphql-js's default resolver: the source's
 *   property), of scalar, enum or object type (no lists, interfaces or unions), and `__typename`;
 * - fields, inline fragments and fragment spreads on the field's own type, without directives
 *   (so the payload does not depend on variables), merged by response key as `collectFields` does.
 */
export function compilePayload(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): CompiledPayload | undefined {
  const operation = getOperationAST(document, operationName);
  const root = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !root) return undefined;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields = collect(root, [operation.selectionSet], fragments);
  if (!fields || fields.size !== 1) return undefined;
  const [responseKey, nodes] = [...fields][0]!;
  const definition = root.getFields()[nodes[0]!.name.value];
  if (!definition || definition.resolve !== subscriptionPayload) return undefined;
  const render = renderValue(definition, nodes, fragments);
  if (!render) return undefined;
  const prefix = `{"data":{${JSON.stringify(responseKey)}:`;
  return (event) => {
    const value = render(event);
    return value === NOT_COMPILED ? value : `${prefix}${value}}}`;
  };
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

/** The fields of `selectionSets` on `type` by response key, in first-seen order; undefined if any part is not compilable. */
function collect(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], fragments: Fragments): Map<string, FieldNode[]> | undefined {
  const fields = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const list = fields.get(key);
        if (list) list.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && selection.typeCondition.name.value !== type.name) return false;
        if (!visit(selection.selectionSet)) return false;
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || fragment.directives?.length || fragment.typeCondition.name.value !== type.name) return false;
        if (!visit(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return selectionSets.every(visit) ? fields : undefined;
}

/** How the value of field `definition` (selected by `nodes`) renders, given the value itself. */
function renderValue(definition: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[], fragments: Fragments): Render | undefined {
  const nonNull = isNonNullType(definition.type);
  const type = getNullableType(definition.type);
  let render: Render | undefined;
  if (isLeafType(type)) render = renderLeaf(type);
  else if (isObjectType(type)) render = renderObject(type, nodes, fragments);
  if (!render) return undefined;
  const inner = render;
  // graphql-js: null or undefined is null in a nullable field and an error in a non-null one.
  return (value) => (value === null || value === undefined ? (nonNull ? NOT_COMPILED : 'null') : typeof value === 'function' ? NOT_COMPILED : inner(value));
}

function renderLeaf(type: GraphQLLeafType): Render {
  // The JSON of the last object value (a Date): the sessions ticking at one instant share one
  // `serverTime`, so it is serialised once per instant rather than once per session. Scalars'
  // serialisers are pure and events are never changed once published.
  let lastObject: object | undefined;
  let lastJson = '';
  return (value) => {
    if (typeof value === 'object' && value === lastObject) return lastJson;
    let serialized: unknown;
    try {
      serialized = type.serialize(value);
    } catch {
      return NOT_COMPILED;
    }
    // graphql-js reports a serializer that returns nothing as an error.
    if (serialized === null || serialized === undefined) return NOT_COMPILED;
    const json = JSON.stringify(serialized);
    if (typeof value === 'object' && value !== null) {
      lastObject = value;
      lastJson = json;
    }
    return json;
  };
}

function renderObject(type: GraphQLObjectType, nodes: readonly FieldNode[], fragments: Fragments): Render | undefined {
  // An isTypeOf check is code of the schema's that execute runs on each value.
  if (type.isTypeOf) return undefined;
  const selectionSets = nodes.map((n) => n.selectionSet).filter((s) => s !== undefined);
  const fields = collect(type, selectionSets, fragments);
  if (!fields || fields.size === 0) return undefined;
  const parts: { prefix: string; name: string; render: Render }[] = [];
  let first = true;
  for (const [key, fieldNodes] of fields) {
    const name = fieldNodes[0]!.name.value;
    const prefix = `${first ? '{' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (name === '__typename') {
      const typename = JSON.stringify(type.name);
      parts.push({ prefix, name, render: () => typename });
      continue;
    }
    const definition = type.getFields()[name];
    // A field with a resolver of its own runs code the compiler cannot know; lists and abstract
    // types would need graphql-js's completion rules: leave those to execute.
    if (!definition || definition.resolve) return undefined;
    const render = renderValue(definition, fieldNodes, fragments);
    if (!render) return undefined;
    parts.push({ prefix, name, render });
  }
  return (source) => {
    if (typeof source !== 'object') return NOT_COMPILED;
    let json = '';
    for (const part of parts) {
      const value = part.render((source as Record<string, unknown>)[part.name]);
      if (value === NOT_COMPILED) return value;
      json += part.prefix + value;
    }
    return `${json}}`;
  };
}

