/** The edge: one HTTP/1.1 origin in front of the separate services. */
export { type Edge, type EdgeRoutes, startEdge } from "./edge";
