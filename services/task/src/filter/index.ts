/**
 * The `ListTasks` filter language (docs/filtering.md): `parseFilter` for its syntax tree,
 * `compileFilter` for parameterised PostgreSQL, `FilterError` for what a user typed wrong.
 */
export type * from "./ast";
export { type CompiledFilter, compileFilter, compileFilterAst, type FilterContext } from "./compiler";
export { type EnumValue, FILTER_FIELDS, type FieldKind, type FieldSpec } from "./fields";
export { FilterError } from "./filter-error";
export { MAX_FILTER_LENGTH, MAX_NESTING_DEPTH, MAX_RESTRICTIONS, parseFilter } from "./parser";
