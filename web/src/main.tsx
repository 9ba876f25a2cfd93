/**
 * The web app's entry point: the Trusted Types policy (first, before Solid makes any element from a
 * template: trusted-types.ts), styles, then the app into #root.
 */
import "./trusted-types";
import { render } from "solid-js/web";
import { App } from "./App";
import "./styles.css";

const root = document.getElementById("root");
if (root) render(() => <App />, root);
