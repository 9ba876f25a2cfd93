/** The inline boot script's entry (built by `firstPagePlugin` in vite.config.ts): see first-page.ts. */
import { startFirstPage } from "./first-page";

startFirstPage(window);
