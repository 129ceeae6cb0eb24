import {
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  type GraphQLNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { PAGE_SIZE } from '../sessions/session.service.js';

/** How many items a list field's `first` argument may ask for, and how many it gives without one. */
export interface PageSize {
  readonly max: number;
  readonly default: number;
}

/**
 * The fields whose `first` argument sizes their answer, by `Type.field`, with the page sizes
 * their service enforces. Every field of the schema with a `first` argument must be listed (a
 * test checks): an unlisted one would count once, whatever it returns.
 */
export const PAGE_SIZES: Readonly<Record<string, PageSize>> = Object.freeze({ 'Query.sessions': PAGE_SIZE });

/**
 * The estimated cost of a selection: 1 per scalar field, 2 per object field plus its
 * selection, that times the page size for a field in {@link PAGE_SIZES}. Fragments cost what
 * their fields cost, wherever they are spread; `__schema` costs nothing (introspection has a
 * rule of its own).
 *
 * The page size is `first` when it is an integer literal; its field's default when `first` is
 * omitted or null; and the field's maximum when it is a variable. A variable's value is not known
 * here: validation sees the document only, and Apollo validates a document once and reuses the
 * verdict for every request that sends it, whatever its variables. Counting the maximum bounds
 * what any request with this document can return, on both transports alike.
 */
function selectionCost(selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, fragments: FragmentCosts): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) cost += fieldCost(selection, parent, fragments);
    else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? fragments.type(selection.typeCondition.name.value) : parent;
      cost += selectionCost(selection.selectionSet, type, fragments);
    } else cost += fragments.cost(selection.name.value);
  }
  return cost;
}

function fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined, fragments: FragmentCosts): number {
  if (field.name.value === '__schema') return 0;
  if (!field.selectionSet) return 1;
  const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[field.name.value] : undefined;
  const type = definition && getNamedType(definition.type);
  const pageSize = parent && PAGE_SIZES[`${parent.name}.${field.name.value}`];
  return (2 + selectionCost(field.selectionSet, type, fragments)) * (pageSize ? itemsAskedFor(field, pageSize) : 1);
}

function itemsAskedFor(field: FieldNode, pageSize: PageSize): number {
  const first = field.arguments?.find((a) => a.name.value === 'first')?.value;
  if (!first || first.kind === Kind.NULL) return pageSize.default;
  // At least 1: a negative literal (refused when it runs) must not lower the cost of the rest.
  if (first.kind === Kind.INT) return Math.max(1, Number.parseInt(first.value, 10));
  return pageSize.max;
}

/** The cost of each fragment of a document, computed once however often it is spread. */
interface FragmentCosts {
  cost(name: string): number;
  type(name: string): GraphQLNamedType | undefined;
}

/**
 * A validation rule refusing every operation of the document whose {@link operationCost} is over
 * `maxCost`, with GRAPHQL_VALIDATION_FAILED: "Query Cost limit of 5000 exceeded, found 7200."
 */
export function costLimitRule(maxCost: number): ValidationRule {
  return (context) => {
    const schema = context.getSchema();
    const known = new Map<string, number>();
    const fragments: FragmentCosts = {
      type: (name) => schema.getType(name) ?? undefined,
      cost(name) {
        const cached = known.get(name);
        if (cached !== undefined) return cached;
        const fragment: FragmentDefinitionNode | undefined = context.getFragment(name) ?? undefined;
        // A cycle (refused by GraphQL's own NoFragmentCyclesRule) counts nothing the second time round.
        known.set(name, 0);
        const cost = fragment ? selectionCost(fragment.selectionSet, fragments.type(fragment.typeCondition.name.value), fragments) : 0;
        known.set(name, cost);
        return cost;
      },
    };
    return {
      OperationDefinition(operation) {
        const cost = selectionCost(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, fragments);
        if (cost <= maxCost) return;
        context.reportError(
          new GraphQLError(`Query Cost limit of ${maxCost} exceeded, found ${cost}.`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        );
      },
    };
  };
}
