// First: later modules may read navigator.language while they load.
import './lib/locale-guard';
import { mount } from 'svelte';
import './app.css';
import './lib/i18n.svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element');

export default mount(App, { target });
