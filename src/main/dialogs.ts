/**
 * The native dialogs: open (behind `files.choose`: only what the user picks becomes readable) and
 * save (behind `history.export`: only what the user confirms is written).
 */
import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import type { ChoosePaths } from '../host/handlers';

const IMAGE_EXTENSIONS = ['dcm', 'dicom', 'png', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp', 'webp'];

export const electronChoosePaths: ChoosePaths = async (kind, save) => {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (kind === 'save') {
    // Exports: the one path the user confirms here is the only file the host writes.
    const options: Electron.SaveDialogOptions = {
      defaultPath: join(app.getPath('documents'), save?.defaultName ?? 'inspector-export'),
      filters: save?.extensions.length ? [{ name: save.extensions.join(', ').toUpperCase(), extensions: save.extensions }] : [],
      properties: ['showOverwriteConfirmation', 'createDirectory'],
    };
    const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return result.canceled || !result.filePath ? [] : [result.filePath];
  }
  const options: Electron.OpenDialogOptions =
    kind === 'folder'
      ? { properties: ['openDirectory'] }
      : { properties: ['openFile', 'multiSelections'], filters: [{ name: 'Images and DICOM', extensions: IMAGE_EXTENSIONS }, { name: 'All files', extensions: ['*'] }] };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
};
