import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { setKey, takeKeyFromUrl } from './auth';
import './styles.css';

const fromUrl = takeKeyFromUrl();
if (fromUrl) setKey(fromUrl);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
